/* Tasks: spawn, join, detach, cancel, yield order, errors. */
#include "task.h"
#include "../../src/internal.h"

static int return_arg(void *arg) { return (int)(intptr_t)arg; }

TEST_IMPL(join_returns_status) {
  wa_task *t = wa_spawn(return_arg, (void *)(intptr_t)42);
  ASSERT(t != NULL);
  ASSERT_EQ(wa_join(t), 42);
  return 0;
}

TEST_IMPL(join_twice_is_einval) {
  wa_task *t = wa_spawn(return_arg, (void *)(intptr_t)7);
  ASSERT_EQ(wa_join(t), 7);
  ASSERT_ERR(wa_join(t), WA_EINVAL);
  return 0;
}

TEST_IMPL(join_self_is_einval) {
  ASSERT_ERR(wa_join(wa_current()), WA_EINVAL);
  return 0;
}

static int yielder(void *arg) {
  const char *name = arg;
  for (int i = 0; i < 3; i++) {
    trace_add("%s%d", name, i);
    ASSERT_EQ(wa_yield(), 0);
  }
  return 0;
}

TEST_IMPL(yield_is_fifo_and_fair) {
  trace_reset();
  wa_task *a = wa_spawn(yielder, "a"), *b = wa_spawn(yielder, "b"), *c = wa_spawn(yielder, "c");
  ASSERT_EQ(wa_join(a), 0);
  ASSERT_EQ(wa_join(b), 0);
  ASSERT_EQ(wa_join(c), 0);
  ASSERT_STR_EQ(trace, "a0 b0 c0 a1 b1 c1 a2 b2 c2");
  return 0;
}

static int spawned_flag;
static int set_flag(void *arg) { (void)arg; spawned_flag = 1; return 0; }

TEST_IMPL(spawn_runs_after_spawner_awaits) {
  spawned_flag = 0;
  wa_task *t = wa_spawn(set_flag, NULL);
  ASSERT_EQ(spawned_flag, 0);
  ASSERT_EQ(wa_yield(), 0);
  ASSERT_EQ(spawned_flag, 1);
  ASSERT_EQ(wa_join(t), 0);
  return 0;
}

TEST_IMPL(cancel_before_start_never_runs) {
  spawned_flag = 0;
  wa_task *t = wa_spawn(set_flag, NULL);
  wa_cancel(t);
  ASSERT_ERR(wa_join(t), WA_ECANCELED);
  ASSERT_EQ(spawned_flag, 0);
  return 0;
}

static int sleep_long(void *arg) {
  int *rc = arg;
  *rc = wa_sleep(100000);
  return 5;
}

TEST_IMPL(cancel_wakes_sleeper_with_ecanceled) {
  int rc = 0;
  wa_task *t = wa_spawn(sleep_long, &rc);
  ASSERT_EQ(wa_sleep(5), 0);
  wa_cancel(t);
  ASSERT_EQ(wa_join(t), 5);
  ASSERT_ERR(rc, WA_ECANCELED);
  return 0;
}

static int cancel_self_then_await(void *arg) {
  (void)arg;
  wa_cancel(wa_current());
  trace_add("after-cancel");
  ASSERT_ERR(wa_yield(), WA_ECANCELED);
  ASSERT_EQ(wa_yield(), 0); /* delivered once */
  return 0;
}

TEST_IMPL(cancel_is_delivered_once_at_next_await) {
  trace_reset();
  ASSERT_EQ(wa_join(wa_spawn(cancel_self_then_await, NULL)), 0);
  ASSERT_STR_EQ(trace, "after-cancel");
  return 0;
}

TEST_IMPL(detach_frees_finished_task) {
  wa_task *t = wa_spawn(return_arg, (void *)1);
  wa_detach(t);
  ASSERT_EQ(wa_yield(), 0);
  ASSERT_EQ(wa_task_count(), 1);
  ASSERT_ERR(wa_join(t), WA_EINVAL); /* stale handle, not a crash */
  wa_cancel(t);                      /* no effect */
  return 0;
}

/* wa__task_exit (pthread_exit's way out): the task ends where it stands,
 * with that status, and nothing after the call runs; a detached one is
 * freed at once, its stack with it. */
static int exit_deep(int depth, int status) {
  if (depth > 0) return exit_deep(depth - 1, status) + 1;
  ASSERT_EQ(wa_yield(), 0); /* exits from a resumed stack, too */
  (void)wa__task_exit(status);
  trace_add("after-exit");
  return 0;
}

static int exiter(void *arg) {
  int r = exit_deep(3, (int)(intptr_t)arg);
  trace_add("returned%d", r);
  return -1;
}

TEST_IMPL(task_exit_ends_the_task_from_any_depth_and_frees_it) {
  ASSERT_EQ(wa_join(wa_spawn(exiter, (void *)(intptr_t)5)), 5);
  for (int i = 0; i < 100; i++) wa_detach(wa_spawn(exiter, (void *)(intptr_t)1));
  /* Each exiter runs twice (its yield, then its exit); the ready queue is
   * FIFO, so two yields of ours let every one end. Not a sleep: a time
   * slice that ends under load lets the timer wake us first. */
  for (int i = 0; i < 2; i++) ASSERT_EQ(wa_yield(), 0);
  ASSERT_EQ(wa_task_count(), 1);
  ASSERT_STR_EQ(trace, "");
  return 0;
}

static int sleep_then_return(void *arg) {
  ASSERT_EQ(wa_sleep((int64_t)(intptr_t)arg), 0);
  return (int)(intptr_t)arg;
}

/* A gather of tasks that finish in spawn order waits once, for the last:
 * the gatherer is not woken (and switched to) by each child in turn. */
static wa_task *g_gatherer;
static int g_gatherer_woken_early;

static int note_gatherer_state(void *arg) {
  wa__task *g = wa__task_from_handle(g_gatherer);
  if ((intptr_t)arg > 0 && g && g->state != WA__WAITING) g_gatherer_woken_early++;
  return (int)(intptr_t)arg;
}

static int gather_ten(void *arg) {
  wa_task *ts[10];
  (void)arg;
  for (int i = 0; i < 10; i++) ts[i] = wa_spawn(note_gatherer_state, (void *)(intptr_t)i);
  return wa_join_all(ts, 10);
}

TEST_IMPL(join_all_of_tasks_finishing_in_order_waits_once) {
  g_gatherer_woken_early = 0;
  g_gatherer = wa_spawn(gather_ten, NULL);
  ASSERT_EQ(wa_join(g_gatherer), 1); /* the first non-zero status: child 1's */
  ASSERT_EQ(g_gatherer_woken_early, 0);
  return 0;
}

TEST_IMPL(join_all_returns_first_nonzero_in_order) {
  wa_task *ts[3] = {wa_spawn(return_arg, 0), wa_spawn(sleep_then_return, (void *)20),
                    wa_spawn(sleep_then_return, (void *)5)};
  ASSERT_EQ(wa_join_all(ts, 3), 20);
  return 0;
}

TEST_IMPL(join_any_returns_first_to_finish) {
  int idx = -1;
  /* Far apart: each deadline is taken when its task first runs, and a
   * loaded machine can hold the process for tens of ms between two. */
  wa_task *ts[3] = {wa_spawn(sleep_then_return, (void *)300), wa_spawn(sleep_then_return, (void *)5),
                    wa_spawn(sleep_then_return, (void *)150)};
  ASSERT_EQ(wa_join_any(ts, 3, &idx), 5);
  ASSERT_EQ(idx, 1);
  ASSERT_EQ(wa_join(ts[0]), 300);
  ASSERT_EQ(wa_join(ts[2]), 150);
  return 0;
}

static wa_event any_go;

static int wait_go_then_return_1(void *arg) {
  (void)arg;
  ASSERT_EQ(wa_event_wait(&any_go), 0);
  return 1;
}

static int set_go_then_return_2(void *arg) {
  (void)arg;
  wa_event_set(&any_go); /* the other task ends right after this one */
  return 2;
}

/* "First to finish" is the task whose end woke the caller, not the lowest
 * index among those done by the time it runs again: here both end before
 * it resumes, the second one first. */
TEST_IMPL(join_any_returns_the_task_that_finished_first_not_the_lowest_index) {
  int idx = -1;
  wa_event_init(&any_go);
  wa_task *ts[2] = {wa_spawn(wait_go_then_return_1, NULL), wa_spawn(set_go_then_return_2, NULL)};
  ASSERT_EQ(wa_join_any(ts, 2, &idx), 2);
  ASSERT_EQ(idx, 1);
  ASSERT_EQ(wa_join(ts[0]), 1);
  return 0;
}

static int join_any_of(void *arg) {
  int idx = -1;
  return wa_join_any((wa_task **)arg, 2, &idx);
}

/* A cancelled wa_join_any waits on two tasks' joiner queues: ending its
 * wait unlinks both nodes and leaves both tasks joinable, so their ends
 * wake no stale node and the caller can still join them. */
TEST_IMPL(join_any_cancelled_leaves_its_tasks_joinable) {
  wa_task *ts[2] = {wa_spawn(sleep_then_return, (void *)10), wa_spawn(sleep_then_return, (void *)15)};
  wa_task *j = wa_spawn(join_any_of, ts);
  ASSERT_EQ(wa_yield(), 0);
  wa_cancel(j);
  ASSERT_ERR(wa_join(j), WA_ECANCELED);
  ASSERT_EQ(wa_join(ts[0]), 10);
  ASSERT_EQ(wa_join(ts[1]), 15);
  return 0;
}

static int join_other(void *arg) { return wa_join((wa_task *)arg); }

TEST_IMPL(cancelled_joiner_cancels_joined_task) {
  int rc = 0;
  wa_task *sleeper = wa_spawn(sleep_long, &rc);
  wa_task *joiner = wa_spawn(join_other, sleeper);
  ASSERT_EQ(wa_sleep(5), 0);
  wa_cancel(joiner);
  ASSERT_ERR(wa_join(joiner), WA_ECANCELED);
  ASSERT_EQ(wa_sleep(5), 0); /* the detached sleeper sees its cancellation and ends */
  ASSERT_ERR(rc, WA_ECANCELED);
  ASSERT_EQ(wa_task_count(), 1);
  return 0;
}

TEST_IMPL(await_outside_task_is_enotask) {
  /* The main task is a task; check the error table instead for ENOTASK. */
  ASSERT_STR_EQ(wa_err_name(WA_ENOTASK), "WA_ENOTASK");
  ASSERT_STR_EQ(wa_strerror(WA_ETIMEDOUT), "timeout expired");
  ASSERT_STR_EQ(wa_err_name(12345), "WA_EUNKNOWN");
  return 0;
}

TEST_IMPL(spawn_with_tiny_stack_is_rejected) {
  wa_task_opts o = {"tiny", 16};
  ASSERT(wa_spawn_opts(return_arg, NULL, &o) == NULL);
  ASSERT(wa_spawn(NULL, NULL) == NULL);
  return 0;
}

TEST_IMPL(task_names_and_ids) {
  wa_task_opts o = {"worker-with-a-rather-long-name-indeed", 0};
  wa_task *t = wa_spawn_opts(return_arg, NULL, &o);
  ASSERT_STR_EQ(wa_task_name(t), "worker-with-a-rather-long-name-");
  ASSERT_GT(wa_task_id(t), 1);
  ASSERT_STR_EQ(wa_task_name(wa_current()), "main");
  ASSERT_EQ(wa_join(t), 0);
  ASSERT_STR_EQ(wa_task_name(t), "");
  return 0;
}

static int block_forever(void *arg) {
  wa_event *e = arg;
  return wa_event_wait(e);
}

TEST_DEATH(deadlock_is_reported, 2, "wasync: deadlock: 2 tasks blocked") {
  static wa_event e;
  wa_event_init(&e);
  wa_task *t = wa_spawn(block_forever, &e);
  return wa_join(t);
}
