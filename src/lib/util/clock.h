/*
 * Clocks: the monotonic clock for durations and deadlines (immune to clock
 * changes), the wall clock for what is shown and recorded.
 *
 *   uint64_t t0 = clock_mono_us();  ...;  elapsed_s = (clock_mono_us() - t0) / 1e6;
 */
#pragma once

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in microseconds, milliseconds, seconds. */
uint64_t clock_mono_us(void);
uint64_t clock_mono_ms(void);
double clock_mono(void);

/* Sleeps us microseconds (a signal may cut it short). */
void clock_sleep_us(uint64_t us);

/* The wall clock (CLOCK_REALTIME) in seconds since the epoch: 1795512720.25. */
double clock_wall(void);

/*
 * CLOCK_MONOTONIC ms milliseconds from now, as a timespec, for
 * pthread_cond_timedwait() on a condition set to the monotonic clock.
 */
struct timespec clock_mono_after_ms(unsigned ms);
