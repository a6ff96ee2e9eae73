/*
 * TS_ASSERT(cond): an invariant of lib/ or the host core, which no input can
 * break unless the code around it is wrong (an index inside the journal
 * sector, a plan's record count, a slot in range, a write inside a buffer).
 * Not for checking input: input errors are returned as enum ts_err.
 *
 * Active in host and test builds: a false condition reports file:line and
 * the condition through the C library's assertion report and aborts, so the
 * sanitizer builds stop right there. Defining TS_NO_ASSERT (the firmware
 * build does, firmware/CMakeLists.txt) compiles every TS_ASSERT to nothing,
 * condition included: the bootloader neither grows nor stops on one.
 * NDEBUG does not turn them off (RelWithDebInfo host builds keep them).
 */
#ifndef TWINSLOT_ASSERT_H
#define TWINSLOT_ASSERT_H

#ifdef TS_NO_ASSERT
#define TS_ASSERT(cond) ((void)0)
#else
/* Reports the failed condition and aborts; never returns. */
_Noreturn void ts_assert_fail(const char *file, unsigned line, const char *cond);
#define TS_ASSERT(cond) ((cond) ? (void)0 : ts_assert_fail(__FILE__, __LINE__, #cond))
#endif

#endif
