/* host.c — the host interface as a plain loop, for native builds:
 * run ready tasks, else sleep until the one timer is due, else (nothing
 * can ever happen again) report a deadlock. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <time.h>
#include "../internal.h"
#include "../host.h"
#include "native.h"

static double timer_deadline = -1;
static int tick_wanted;
static uint32_t done_token;
static int done_status;

double wa__host_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void wa__host_timer_arm(double deadline) { timer_deadline = deadline; }
void wa__host_timer_disarm(void) { timer_deadline = -1; }
void wa__host_request_tick(int yield_to_host) { (void)yield_to_host; tick_wanted = 1; }

void wa__host_task_done(uint32_t token, int status) {
  done_token = token;
  done_status = status;
}

/* No fetch() and no JavaScript here: the requests fail with WA_ENOTSUP, so
 * no handle exists and nothing else is ever called. */
int wa__fetch_start(wa_response *r, const char *url, const char *method,
                    const char *const *headers, const void *body, size_t body_len,
                    char *head_scratch, size_t scratch_len) {
  (void)r, (void)url, (void)method, (void)headers, (void)body, (void)body_len;
  (void)head_scratch, (void)scratch_len;
  return WA_ENOTSUP;
}
long wa__fetch_read(uint32_t handle, void *buf, size_t len, int *ended) {
  (void)handle, (void)buf, (void)len, (void)ended;
  return WA_EINVAL;
}
void wa__fetch_abort(uint32_t handle) { (void)handle; }
void wa__fetch_release(uint32_t handle) { (void)handle; }
void wa__js_watch(uint32_t handle, struct wa__task *t) { (void)handle, (void)t; }
void wa__js_drop(uint32_t handle) { (void)handle; }
int wa__js_state(uint32_t handle) {
  (void)handle;
  return WA_ENOTSUP;
}
int wa__js_take(uint32_t handle, double *value) {
  (void)handle, (void)value;
  return WA_ENOTSUP;
}
int wa__host_invoke(uint32_t token) {
  (void)token;
  return WA_ENOTSUP;
}

/* Sleeps towards deadline, at most 2^31-1 ms at a time, as the JS host's
 * setTimeout does (and so that time_t cannot overflow): the loop looks at
 * the clock again and sleeps on until the deadline has come. */
static void sleep_until(double deadline, double now) {
  double ms = deadline - now;
  struct timespec ts;
  if (ms <= 0) return;
  if (ms > 2147483647.0) ms = 2147483647.0;
  ts.tv_sec = (time_t)(ms / 1000.0);
  ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000.0) * 1e6);
  nanosleep(&ts, NULL);
}

/* One clock reading per callback: the one that found the timer due is the
 * one the core gets (host.h). */
int wa__native_run(wa_fn fn, void *arg, const wa_task_opts *opts, int *status) {
  static uint32_t next_token;
  uint32_t token = ++next_token;
  wa__task *t = wa__task_spawn(fn, arg, opts);
  if (!t) return WA_ENOMEM;
  t->host_token = token;
  t->detached = 1;
  for (;;) {
    double now = wa__host_now();
    if (done_token == token) {
      done_token = 0;
      if (status) *status = done_status;
      return 0;
    }
    /* Like a browser or Node: due timers (the host's own pending work)
     * run before the next tick the scheduler asked for. */
    if (timer_deadline >= 0 && now >= timer_deadline) {
      timer_deadline = -1;
      wa__on_timer(now);
      continue;
    }
    if (tick_wanted) {
      tick_wanted = 0;
      wa__on_tick(now);
      continue;
    }
    if (timer_deadline >= 0) {
      sleep_until(timer_deadline, now);
      continue;
    }
    wa__on_deadlock();
    return WA__EDEADLK;
  }
}

#ifndef WA_NATIVE_NO_MAIN
typedef struct {
  int argc;
  char **argv;
} program_args;

static int program(void *p) {
  program_args *a = p;
  return wa_main(a->argc, a->argv);
}

int main(int argc, char **argv) {
  program_args a = {argc, argv};
  wa_task_opts opts = {"main", WA__MAIN_STACK};
  int status = 0;
  int rc = wa__native_run(program, &a, &opts, &status);
  if (rc == WA__EDEADLK) return 2;
  if (rc) return 1;
  return status;
}
#endif
