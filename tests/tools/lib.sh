# Helpers shared by the twinslot CLI test scripts (sourced, bash).
# Each script runs in its own scratch directory and uses short relative file
# names, so the messages it asserts are exact.
set -eu

TWINSLOT=$1
APPS=$2
READELF=$3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
failures=0
checks=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

ok() {
	checks=$((checks + 1))
}

# expect RC STDERR_TEXT -- command...: the exit code and the whole stderr.
expect() {
	local want_rc=$1 want_err=$2
	shift 3
	local rc=0
	"$@" >out.txt 2>err.txt || rc=$?
	if [ "$rc" != "$want_rc" ]; then
		fail "$*: exit $rc, expected $want_rc; stderr: $(cat err.txt)"
		return 0
	fi
	if [ "$(cat err.txt)" != "$want_err" ]; then
		fail "$*: stderr differs:
  got:      $(cat err.txt)
  expected: $want_err"
		return 0
	fi
	ok
}

# expect_rc RC -- command...: only the exit code (stderr kept in err.txt).
expect_rc() {
	local want_rc=$1
	shift 2
	local rc=0
	"$@" >out.txt 2>err.txt || rc=$?
	if [ "$rc" != "$want_rc" ]; then
		fail "$*: exit $rc, expected $want_rc; stderr: $(cat err.txt)"
	else
		ok
	fi
}

# equal WHAT GOT EXPECTED
equal() {
	if [ "$2" != "$3" ]; then
		fail "$1: got '$2', expected '$3'"
	else
		ok
	fi
}

# The value of "key" in inspect --json's one-line object.
json_field() {
	sed -n "s/.*\"$1\":\(\"[^\"]*\"\|[^,}]*\).*/\1/p" "$2" | tr -d '"'
}

# Overwrite one byte of a file at OFFSET with (old ^ 0xFF).
flip_byte() {
	local file=$1 off=$2
	local old
	old=$(od -An -tu1 -j "$off" -N1 "$file" | tr -d ' ')
	printf "$(printf '\\%03o' $(( old ^ 0xFF )))" |
		dd of="$file" bs=1 seek="$off" conv=notrunc status=none
}

# Write one byte VALUE (decimal) at OFFSET.
poke_byte() {
	printf "$(printf '\\%03o' "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# Lowest physical address of a PT_LOAD segment, as readelf prints it.
readelf_load_addr() {
	"$READELF" -lW "$1" | awk '$1 == "LOAD" { print $4 }' | sort | head -n1
}

# No file at all in directory $1 (temporary files included).
assert_empty_dir() {
	if [ -d "$1" ] && [ -n "$(ls -A "$1")" ]; then
		fail "$1 should be empty but holds: $(ls -A "$1" | tr '\n' ' ')"
	else
		ok
	fi
}

finish() {
	if [ "$failures" -ne 0 ]; then
		echo "$failures of $((checks + failures)) checks failed" >&2
		exit 1
	fi
	echo "all $checks checks passed"
}
