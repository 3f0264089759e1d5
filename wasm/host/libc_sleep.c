/* libc_sleep.c — the libc's sleeps as await points (wasm only).
 *
 * The link wraps these functions (wasm-ld --wrap, js/cli/plan.mjs: LIBC_WRAPS)
 * so that every call, from user code and from inside the libc (its sleep
 * and usleep call nanosleep), reaches __wrap_<name> here. Inside a task
 * each is a sleep of that task only (wa__sleep_libc); anywhere else it is
 * the libc's own function (__real_<name>: Emscripten's busy wait). The
 * contract users see is in wasync.h ("the libc sleeps").
 *
 * Times are kept to the microsecond (wa__timer units), rounded up, so a
 * sleep never ends before the time asked; the host's timer fires with
 * millisecond resolution, so a sub-millisecond sleep lasts about a
 * millisecond. A zero (or past) request is a yield. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>
#include <emscripten/emscripten.h>
#include "internal.h"
#include "deadline.h"

/* The wrapped calls, X(return type, name, parameters): each is declared
 * twice, as the libc's own function (__real_<name>) and as ours
 * (__wrap_<name>, below). */
#define LIBC_SLEEPS(X)                                                                \
  X(unsigned, sleep, (unsigned seconds))                                               \
  X(int, usleep, (unsigned us))                                                        \
  X(int, nanosleep, (const struct timespec *req, struct timespec *rem))               \
  X(int, clock_nanosleep, (clockid_t clk, int flags, const struct timespec *req, struct timespec *rem)) \
  X(void, emscripten_sleep, (unsigned ms))                                             \
  X(int, poll, (struct pollfd * fds, nfds_t n, int timeout))                          \
  X(int, select, (int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv))

#define WRAP_PROTOS(ret, name, params) ret __real_##name params; ret __wrap_##name params;
LIBC_SLEEPS(WRAP_PROTOS)
#undef WRAP_PROTOS

/* The errno value for a failed wa__sleep_libc: EINTR for an interruption
 * (the code stays pending for the task's next await point), ENOMEM. */
static int errno_of(int rc) { return rc == WA_ENOMEM ? ENOMEM : EINTR; }

/* A relative sleep of a task: 0, or an errno value with *rem (if not NULL)
 * set to what was left. */
static int sleep_rel(int64_t us, struct timespec *rem) {
  int64_t deadline = wa__deadline_in(us);
  int rc = wa__sleep_libc(deadline);
  if (!rc) return 0;
  if (rem) wa__us_to_timespec(rc == WA_ENOMEM ? us : wa__left_until(deadline), rem);
  return errno_of(rc);
}

/* Whole seconds left, rounded up (a sleep cut short by 0.4 s returns 1,
 * never 0, which would claim it completed). */
unsigned __wrap_sleep(unsigned seconds) {
  int64_t deadline;
  int rc;
  if (!wa__in_task()) return __real_sleep(seconds);
  deadline = wa__deadline_in((int64_t)seconds * WA__US_PER_S);
  rc = wa__sleep_libc(deadline);
  if (!rc) return 0;
  errno = errno_of(rc);
  if (rc == WA_ENOMEM) return seconds;
  return (unsigned)((wa__left_until(deadline) + WA__US_PER_S - 1) / WA__US_PER_S);
}

int __wrap_usleep(unsigned us) {
  int e;
  if (!wa__in_task()) return __real_usleep(us);
  if ((e = sleep_rel(us, NULL))) {
    errno = e;
    return -1;
  }
  return 0;
}

int __wrap_nanosleep(const struct timespec *req, struct timespec *rem) {
  int e;
  if (!wa__in_task()) return __real_nanosleep(req, rem);
  if (!wa__timespec_valid(req)) {
    errno = EINVAL;
    return -1;
  }
  if ((e = sleep_rel(wa__us_of(req->tv_sec, req->tv_nsec), rem))) {
    errno = e;
    return -1;
  }
  return 0;
}

/* Returns an errno value, as POSIX has it (not -1). An absolute deadline
 * is on clk's clock: the time until it is measured once, at the call (a
 * later step of the realtime clock does not move it); rem is only written
 * for a relative sleep. Clocks other than CLOCK_MONOTONIC and
 * CLOCK_REALTIME are the libc's. */
int __wrap_clock_nanosleep(clockid_t clk, int flags, const struct timespec *req, struct timespec *rem) {
  int64_t us;
  int rc;
  if (!wa__in_task() || (clk != CLOCK_MONOTONIC && clk != CLOCK_REALTIME)) return __real_clock_nanosleep(clk, flags, req, rem);
  if (!wa__timespec_valid(req)) return EINVAL;
  if (!(flags & TIMER_ABSTIME)) return sleep_rel(wa__us_of(req->tv_sec, req->tv_nsec), rem);
  if ((rc = wa__us_until(clk, req, &us))) return rc;
  rc = wa__sleep_libc(wa__deadline_in(us));
  return rc ? errno_of(rc) : 0;
}

/* Returns nothing: a cancel or timeout ends it early, and the task's next
 * await point reports it. */
void __wrap_emscripten_sleep(unsigned ms) {
  if (!wa__in_task()) {
    __real_emscripten_sleep(ms);
    return;
  }
  (void)sleep_rel((int64_t)ms * 1000, NULL);
}

/* Waits, inside a task, until look() finds something ready (a positive
 * count, returned) or fails (-1), or until timeout_ms passes (0; < 0:
 * never). look() answers at once: Emscripten's file systems have no
 * readiness events to await, and its own waiting poll is async (it would
 * unwind the whole module; wasm/host/js/fdcalls.js answers at once), so
 * the task sleeps between looks, 2 ms at first, doubling up to 50 ms. A
 * cancel or timeout scope ends the wait with -1/EINTR, as for the sleeps. */
static int wait_ready(int (*look)(void *), void *arg, int64_t timeout_ms) {
  int64_t deadline = timeout_ms < 0 ? WA__NEVER : wa__deadline_in(timeout_ms * 1000);
  int64_t step = 2000, left;
  int r, e;
  while ((r = look(arg)) == 0 && (left = wa__left_until(deadline)) > 0) {
    if ((e = sleep_rel(left < step ? left : step, NULL))) {
      errno = e;
      return -1;
    }
    if (step < 50000) step *= 2;
  }
  return r;
}

typedef struct {
  struct pollfd *fds;
  nfds_t n;
} poll_args;

static int poll_now(void *arg) {
  poll_args *a = arg;
  return __real_poll(a->fds, a->n, 0);
}

typedef struct {
  int n;
  fd_set *sets[3], saved[3];
} select_args;

static int select_now(void *arg) {
  select_args *a = arg;
  struct timeval zero = {0, 0};
  for (int i = 0; i < 3; i++)
    if (a->sets[i]) *a->sets[i] = a->saved[i];
  return __real_select(a->n, a->sets[0], a->sets[1], a->sets[2], &zero);
}

/* poll(NULL, 0, ms): a sleep (ms < 0: until interrupted; 0: returns 0 at
 * once, a probe); 0, or -1 with errno EINTR. With fds, inside a task: the
 * libc's answer now, and while nothing is ready a wait (wait_ready). */
int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout) {
  int e;
  if (!wa__in_task()) return __real_poll(fds, n, timeout);
  if (n != 0) {
    poll_args a = {fds, n};
    return wait_ready(poll_now, &a, timeout);
  }
  if (timeout == 0) return 0;
  if ((e = sleep_rel(timeout < 0 ? WA__NEVER : (int64_t)timeout * 1000, NULL))) {
    errno = e;
    return -1;
  }
  return 0;
}

/* select with no descriptors to watch (nfds 0 or no sets): a sleep for *tv
 * (NULL: until interrupted; zero: returns 0 at once). As on Linux, *tv is
 * left holding the time not slept: zero after a full sleep, the remainder
 * after EINTR. With descriptors, inside a task: the libc's answer now, and
 * while nothing is ready a wait (wait_ready; *tv is left as it was). */
int __wrap_select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv) {
  struct timespec rem = {0, 0};
  int64_t us;
  int err;
  if (!wa__in_task()) return __real_select(n, r, w, e, tv);
  if (n > 0 && (r || w || e)) {
    select_args a = {.n = n, .sets = {r, w, e}};
    for (int i = 0; i < 3; i++)
      if (a.sets[i]) a.saved[i] = *a.sets[i];
    if (tv && (tv->tv_sec < 0 || tv->tv_usec < 0)) {
      errno = EINVAL;
      return -1;
    }
    return wait_ready(select_now, &a, tv ? (int64_t)tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000 : -1);
  }
  if (n < 0 || (tv && (tv->tv_sec < 0 || tv->tv_usec < 0))) {
    errno = EINVAL;
    return -1;
  }
  if (!tv) {
    us = WA__NEVER;
  } else {
    int64_t s = (int64_t)tv->tv_sec + tv->tv_usec / WA__US_PER_S;
    us = wa__us_of(s, (long)(tv->tv_usec % WA__US_PER_S) * 1000);
    if (us == 0) return 0;
  }
  err = sleep_rel(us, &rem);
  if (tv) {
    tv->tv_sec = rem.tv_sec;
    tv->tv_usec = (suseconds_t)(rem.tv_nsec / 1000);
  }
  if (err) {
    errno = err;
    return -1;
  }
  return 0;
}
