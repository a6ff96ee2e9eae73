/* The report of a failed TS_ASSERT (see twinslot/assert.h): the C library's
 * own assertion report, whatever NDEBUG says. Host builds only; the firmware
 * compiles TS_ASSERT out and does not build this file. */
#undef NDEBUG
#include <assert.h>
#include <stdlib.h>

#include "twinslot/assert.h"

#if defined(__GLIBC__)
/* glibc's report behind assert(): "file:line: func: Assertion `cond' failed." */
void ts_assert_fail(const char *file, unsigned line, const char *cond)
{
	__assert_fail(cond, file, line, "TS_ASSERT");
}
#elif defined(__NEWLIB__)
/* newlib's (ESP-IDF): "assertion "cond" failed: file "file", line n". */
void ts_assert_fail(const char *file, unsigned line, const char *cond)
{
	__assert_func(file, (int)line, "TS_ASSERT", cond);
}
#else
#error "ts_assert_fail: no assertion report known for this C library; add one"
#endif
