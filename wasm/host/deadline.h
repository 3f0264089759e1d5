/* deadline.h — POSIX times (timespec, absolute clock times) as wasync
 * deadlines, for the wrapped libc calls (libc_sleep.c, pthread.c).
 *
 * A deadline is in wa__timer units (microseconds of wa__timer_now()), and
 * WA__NEVER means none. Conversions round up, so a wait never ends before
 * the time asked, and saturate at WA__NEVER instead of overflowing. */
#ifndef WASYNC_HOST_DEADLINE_H
#define WASYNC_HOST_DEADLINE_H

#include <errno.h>
#include <stdint.h>
#include <time.h>
#include "internal.h"

#define WA__US_PER_S INT64_C(1000000)
#define WA__NEVER INT64_MAX

/* Whether a wrapped call runs as an await of the current task (else it is
 * the libc's own: outside any task, or in a host callback inside one). */
static inline int wa__in_task(void) { return wa__cur && !wa__host_reentered; }

/* Whether ts is a valid, non-negative time (nanoseconds in [0, 1e9)). */
static inline int wa__timespec_valid(const struct timespec *ts) {
  return ts && ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000L;
}

/* The deadline us microseconds from now, saturated at WA__NEVER. */
static inline int64_t wa__deadline_in(int64_t us) {
  int64_t now = wa__timer_now();
  return us >= WA__NEVER - now ? WA__NEVER : now + us;
}

/* Microseconds in (s, ns), rounded up, saturated at WA__NEVER; ns in [0, 1e9). */
static inline int64_t wa__us_of(int64_t s, long ns) {
  int64_t us = (ns + 999) / 1000;
  return s >= (WA__NEVER - us) / WA__US_PER_S ? WA__NEVER : s * WA__US_PER_S + us;
}

/* What is left until deadline, in microseconds (0 once it passed). */
static inline int64_t wa__left_until(int64_t deadline) {
  int64_t now = wa__timer_now();
  return deadline == WA__NEVER ? WA__NEVER : deadline > now ? deadline - now : 0;
}

/* Writes us microseconds into *ts. */
static inline void wa__us_to_timespec(int64_t us, struct timespec *ts) {
  ts->tv_sec = (time_t)(us / WA__US_PER_S);
  ts->tv_nsec = (long)(us % WA__US_PER_S) * 1000;
}

/* The microseconds from now until the absolute time at on clock clk, read
 * once, now (a later step of the realtime clock does not move it): 0 with
 * *us set (0 if at has passed), or an errno value (EINVAL for an invalid
 * time (nanoseconds outside [0, 1e9); a negative second is a time that has
 * passed), clock_gettime's error for a clock it refuses). */
static inline int wa__us_until(clockid_t clk, const struct timespec *at, int64_t *us) {
  struct timespec now;
  if (!at || at->tv_nsec < 0 || at->tv_nsec >= 1000000000L) return EINVAL;
  if (clock_gettime(clk, &now) != 0) return errno;
  if (at->tv_sec < now.tv_sec || (at->tv_sec == now.tv_sec && at->tv_nsec <= now.tv_nsec))
    *us = 0;
  else if (at->tv_nsec >= now.tv_nsec) /* time_t is 32 bits in older Emscriptens: widen first */
    *us = wa__us_of((int64_t)at->tv_sec - now.tv_sec, at->tv_nsec - now.tv_nsec);
  else
    *us = wa__us_of((int64_t)at->tv_sec - now.tv_sec - 1, at->tv_nsec + 1000000000L - now.tv_nsec);
  return 0;
}

#endif
