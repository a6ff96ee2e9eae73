# Fails the build when the bootloader binary does not fit flash sector 0.
# Usage: cmake -DBIN=bootloader.bin -DMAX=16384 -DAIM=8192 -P check_size.cmake
file(SIZE ${BIN} size)
if(size GREATER MAX)
  message(FATAL_ERROR "bootloader: ${size} bytes: does not fit sector 0 (${MAX} bytes)")
elseif(size GREATER AIM)
  message(WARNING "bootloader: ${size} bytes of ${MAX} (sector 0); the aim is ${AIM} or less")
else()
  message(STATUS "bootloader: ${size} bytes of ${MAX} (sector 0)")
endif()
