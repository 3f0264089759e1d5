/* Sleep and timeout scopes. */
#include "task.h"

static int sleeper(void *arg) {
  int ms = (int)(intptr_t)arg;
  ASSERT_EQ(wa_sleep(ms), 0);
  trace_add("%d", ms);
  return 0;
}

TEST_IMPL(sleepers_wake_in_deadline_order) {
  trace_reset();
  /* 40 ms apart: the four sleeps start one after the other, and a loaded
   * machine can deschedule the process for over 9 ms between two of them
   * (seen: "10 1 20 30" with 10 ms steps). */
  wa_task *ts[4] = {wa_spawn(sleeper, (void *)120), wa_spawn(sleeper, (void *)40),
                    wa_spawn(sleeper, (void *)80), wa_spawn(sleeper, (void *)1)};
  ASSERT_EQ(wa_join_all(ts, 4), 0);
  ASSERT_STR_EQ(trace, "1 40 80 120");
  return 0;
}

static int named_sleeper(void *arg) {
  ASSERT_EQ(wa_sleep(10), 0);
  trace_add("%s", (const char *)arg);
  return 0;
}

TEST_IMPL(equal_deadlines_wake_fifo) {
  trace_reset();
  wa_task *ts[3];
  ts[0] = wa_spawn(named_sleeper, "x");
  ts[1] = wa_spawn(named_sleeper, "y");
  ts[2] = wa_spawn(named_sleeper, "z");
  ASSERT_EQ(wa_join_all(ts, 3), 0);
  ASSERT_STR_EQ(trace, "x y z");
  return 0;
}

TEST_IMPL(sleep_lasts_at_least_its_time) {
  int64_t t0 = wa_now();
  ASSERT_EQ(wa_sleep(25), 0);
  ASSERT_GE(wa_now() - t0, 25);
  return 0;
}

TEST_IMPL(timeout_interrupts_sleep) {
  wa_timeout to;
  wa_timeout_begin(&to, 10);
  ASSERT_ERR(wa_sleep(10000), WA_ETIMEDOUT);
  ASSERT_EQ(wa_timeout_end(&to), 1);
  return 0;
}

TEST_IMPL(timeout_not_expired_returns_zero) {
  wa_timeout to;
  wa_timeout_begin(&to, 10000);
  ASSERT_EQ(wa_sleep(1), 0);
  ASSERT_EQ(wa_timeout_end(&to), 0);
  return 0;
}

TEST_IMPL(nested_timeouts_outer_expires_first) {
  wa_timeout outer, inner;
  wa_timeout_begin(&outer, 10);
  wa_timeout_begin(&inner, 10000);
  ASSERT_ERR(wa_sleep(10000), WA_ETIMEDOUT);
  ASSERT_EQ(wa_timeout_end(&inner), 0);
  ASSERT_EQ(wa_timeout_end(&outer), 1);
  return 0;
}

TEST_IMPL(timeout_expired_while_running_hits_next_await) {
  wa_timeout to;
  int64_t t0 = wa_now();
  wa_timeout_begin(&to, 5);
  while (wa_now() - t0 < 15) { /* busy: the deadline passes without an await */ }
  ASSERT_EQ(wa_sleep(0), 0); /* a yield: the timer fires while we are ready */
  ASSERT_ERR(wa_sleep(1000), WA_ETIMEDOUT);
  ASSERT_EQ(wa_timeout_end(&to), 1);
  return 0;
}

TEST_IMPL(timeout_scope_closed_before_delivery_clears_it) {
  wa_timeout to;
  int64_t t0 = wa_now();
  wa_timeout_begin(&to, 1);
  while (wa_now() - t0 < 5) { }
  ASSERT_EQ(wa_timeout_end(&to), 1);
  ASSERT_EQ(wa_sleep(1), 0); /* nothing pending after the scope closed */
  return 0;
}

static int many_sleeper(void *arg) {
  (void)arg;
  return wa_sleep(20);
}

/* wasm: 100 000 tasks asleep at once (the bar; their memory is
 * measured by make bench). So many tasks choose small stacks explicitly:
 * 100 000 default (64 KiB) stacks would need 6.4 GB of wasm32 address
 * space. Native stacks are separate mmaps, and Linux
 * allows about 65 000 per process, so natively 10 000. */
#ifdef __EMSCRIPTEN__
#define SLEEPERS 100000
#else
#define SLEEPERS 10000
#endif

TEST_IMPL(many_thousand_sleepers_all_wake) {
  enum { N = SLEEPERS };
  static wa_task *ts[N];
  static const wa_task_opts small = {"sleeper", 6 * 1024};
  for (int i = 0; i < N; i++) ASSERT((ts[i] = wa_spawn_opts(many_sleeper, NULL, &small)) != NULL);
  ASSERT_EQ(wa_join_all(ts, N), 0);
  return 0;
}

static int busy_rounds_done;

/* Computes 3 ms at a time between yields, 20 times. */
static int busy_yielder(void *arg) {
  (void)arg;
  for (busy_rounds_done = 0; busy_rounds_done < 20; busy_rounds_done++) {
    int64_t t0 = wa_now();
    while (wa_now() - t0 < 3) { }
    ASSERT_EQ(wa_yield(), 0);
  }
  return 0;
}

static int nap_then_look(void *arg) {
  int *seen = arg;
  ASSERT_EQ(wa_sleep(1), 0);
  *seen = busy_rounds_done;
  return 0;
}

/* Regression: the scheduler read the clock only every 128 runs, so a task
 * computing between yields kept the host (timers, rendering, input) out
 * for hundreds of milliseconds. Now a timer that is due gets its turn
 * within a couple of time slices (6 ms each), long before the 60 ms of
 * work is done. */
TEST_IMPL(long_runs_between_yields_still_let_the_host_in) {
  int seen = -1;
  wa_task *sleeper = wa_spawn(nap_then_look, &seen);
  wa_task *busy = wa_spawn(busy_yielder, NULL);
  ASSERT_EQ(wa_join(busy), 0);
  ASSERT_EQ(wa_join(sleeper), 0);
  ASSERT_GE(seen, 0);
  ASSERT_LT(seen, 20);
  return 0;
}
