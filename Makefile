# Convenience entry point; the scripts are what the README documents.
.PHONY: all test demo clean
all:
	scripts/setup.sh
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build -j$$(nproc)
test:
	scripts/test.sh
demo:
	scripts/demo.sh
clean:
	rm -rf build build-test
