# The purity of lib/ (twinslot_formats) and the host core (twinslot_host):
# every symbol they take from outside themselves must be on the list below.
# So no allocator (malloc, calloc, realloc, free, strdup, ...), no stdio that
# does I/O (printf, fprintf, puts, fopen, fwrite, ...), no POSIX I/O (open,
# read, write, ioctl, socket, ...) and no clock or sleep (time,
# clock_gettime, usleep, nanosleep, ...): the port does all of that. Being an
# allow-list, anything new fails until someone decides it belongs here.
#
# Usage: cmake -DNM=<nm> -DCORE=libtwinslot_host.a -DLIB=libtwinslot_formats.a
#              -P core_purity.cmake

# What the two may use, one regular expression per line.
set(allowed
  # memory and string functions: pure computation on the caller's buffers
  "memcpy" "memmove" "memset" "memcmp" "memchr"
  "strlen" "strnlen" "strcmp" "strncmp" "strchr" "strrchr" "strstr" "strspn"
  "strcspn"
  # snprintf and vsnprintf only format into a caller's buffer: no I/O
  "snprintf" "vsnprintf"
  # the same, as _FORTIFY_SOURCE builds name them
  "__(memcpy|memmove|memset|snprintf|vsnprintf)_chk"
  "__stack_chk_fail"
  # TS_ASSERT's report (lib/src/assert.c): the C library's assertion report,
  # reached only when an invariant is already broken; it writes to stderr
  # and aborts. The firmware compiles TS_ASSERT out.
  "__assert_fail"
  # sanitizer and coverage instrumentation (build-test: ASan, UBSan, fuzzer)
  "__asan_.*" "__ubsan_.*" "__sanitizer_.*" "__sancov_.*"
  "_GLOBAL_OFFSET_TABLE_")
list(JOIN allowed "|" allowed_re)

foreach(var NM CORE LIB)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "core_purity: -D${var}=... is missing")
  endif()
endforeach()
foreach(archive ${CORE} ${LIB})
  if(NOT EXISTS ${archive})
    message(FATAL_ERROR "core_purity: ${archive} does not exist: build it first")
  endif()
endforeach()

# "archive:object: U symbol" per line; symbols defined in either archive are
# theirs, not the outside world's.
execute_process(COMMAND ${NM} -A --undefined-only ${CORE} ${LIB}
  OUTPUT_VARIABLE undef RESULT_VARIABLE rc1)
execute_process(COMMAND ${NM} --defined-only --extern-only ${CORE} ${LIB}
  OUTPUT_VARIABLE defined RESULT_VARIABLE rc2)
if(NOT rc1 EQUAL 0 OR NOT rc2 EQUAL 0)
  message(FATAL_ERROR "core_purity: ${NM} failed (${rc1}, ${rc2})")
endif()

set(own "")
string(REPLACE "\n" ";" defined "${defined}")
foreach(line ${defined})
  if(line MATCHES "^[0-9a-fA-F]+ [A-Za-z] ([^ ]+)$")
    list(APPEND own ${CMAKE_MATCH_1})
  endif()
endforeach()

set(bad "")
set(external "")
string(REPLACE "\n" ";" undef "${undef}")
foreach(line ${undef})
  if(NOT line MATCHES "^(.*): +U ([^ ]+)$")
    continue()
  endif()
  set(where ${CMAKE_MATCH_1})
  set(sym ${CMAKE_MATCH_2})
  list(FIND own ${sym} i)
  if(NOT i EQUAL -1)
    continue()
  endif()
  list(APPEND external ${sym})
  if(NOT sym MATCHES "^(${allowed_re})$")
    get_filename_component(obj "${where}" NAME)
    list(APPEND bad "${sym} (${obj})")
  endif()
endforeach()

list(REMOVE_DUPLICATES external)
list(SORT external)
list(JOIN external " " external)
message(STATUS "core_purity: external symbols: ${external}")
if(bad)
  list(REMOVE_DUPLICATES bad)
  list(JOIN bad "\n  " bad)
  message(FATAL_ERROR "core_purity: lib/ and host/core must not allocate, do I/O or read "
    "clocks (the port does); not on the allowed list in tests/host/core_purity.cmake:\n  ${bad}")
endif()
