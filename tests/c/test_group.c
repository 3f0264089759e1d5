/* Task groups: structured concurrency, first-error cancellation, cancelled
 * waiters, free. */
#include "task.h"

static int return_after_sleep(void *arg) {
  int ms = (int)(intptr_t)arg;
  int rc = wa_sleep(ms);
  trace_add("slept%d", ms);
  return rc;
}

static int fail_after_sleep(void *arg) {
  int ms = (int)(intptr_t)arg;
  ASSERT_EQ(wa_sleep(ms), 0);
  trace_add("fail");
  return 7;
}

/* Sleeps "forever"; records how its sleep ended. */
static int sleep_long_record(void *arg) {
  int *rc = arg;
  *rc = wa_sleep(100000);
  trace_add("woke:%s", wa_err_name(*rc));
  return *rc;
}

TEST_IMPL(group_wait_returns_zero_when_all_succeed) {
  wa_group *g = wa_group_new();
  trace_reset();
  /* Far apart: the second member starts (and its deadline is taken) after
   * the first, later by however long a loaded machine held the process. */
  ASSERT_EQ(wa_group_spawn(g, return_after_sleep, (void *)200), 0);
  ASSERT_EQ(wa_group_spawn(g, return_after_sleep, (void *)1), 0);
  ASSERT_EQ(wa_group_wait(g), 0);
  ASSERT_STR_EQ(trace, "slept1 slept200");
  wa_group_free(g);
  return 0;
}

TEST_IMPL(group_wait_with_no_members_returns_at_once) {
  wa_group *g = wa_group_new();
  ASSERT_EQ(wa_group_wait(g), 0);
  wa_group_free(g);
  return 0;
}

TEST_IMPL(group_first_error_cancels_siblings) {
  wa_group *g = wa_group_new();
  int rc1 = 0, rc2 = 0;
  trace_reset();
  ASSERT_EQ(wa_group_spawn(g, sleep_long_record, &rc1), 0);
  ASSERT_EQ(wa_group_spawn(g, fail_after_sleep, (void *)5), 0);
  ASSERT_EQ(wa_group_spawn(g, sleep_long_record, &rc2), 0);
  ASSERT_EQ(wa_group_wait(g), 7);
  ASSERT_ERR(rc1, WA_ECANCELED);
  ASSERT_ERR(rc2, WA_ECANCELED);
  ASSERT_STR_EQ(trace, "fail woke:WA_ECANCELED woke:WA_ECANCELED");
  wa_group_free(g);
  return 0;
}

TEST_IMPL(group_wait_returns_after_all_members_finished) {
  wa_group *g = wa_group_new();
  trace_reset();
  ASSERT_EQ(wa_group_spawn(g, fail_after_sleep, (void *)1), 0);
  ASSERT_EQ(wa_group_spawn(g, return_after_sleep, (void *)300), 0); /* far apart, as above */
  /* The sleeper is cancelled by the failure and still reports before wait returns. */
  ASSERT_EQ(wa_group_wait(g), 7);
  ASSERT_STR_EQ(trace, "fail slept300");
  ASSERT_EQ(wa_task_count(), 1);
  wa_group_free(g);
  return 0;
}

static int group_waiter(void *arg) {
  int rc = wa_group_wait((wa_group *)arg);
  trace_add("waiter:%s", wa_err_name(rc));
  return rc;
}

TEST_IMPL(group_cancelled_waiter_cancels_members_and_waits_for_them) {
  wa_group *g = wa_group_new();
  int rc1 = 0, rc2 = 0;
  wa_task *w;
  trace_reset();
  ASSERT_EQ(wa_group_spawn(g, sleep_long_record, &rc1), 0);
  ASSERT_EQ(wa_group_spawn(g, sleep_long_record, &rc2), 0);
  w = wa_spawn(group_waiter, g);
  ASSERT_EQ(wa_sleep(5), 0);
  wa_cancel(w);
  ASSERT_ERR(wa_join(w), WA_ECANCELED);
  /* The members ended before the waiter returned. */
  ASSERT_STR_EQ(trace, "woke:WA_ECANCELED woke:WA_ECANCELED waiter:WA_ECANCELED");
  ASSERT_EQ(wa_task_count(), 1);
  wa_group_free(g);
  return 0;
}

TEST_IMPL(group_spawn_after_cancelled_wait_is_ebusy) {
  wa_group *g = wa_group_new();
  int rc1 = 0;
  wa_task *w;
  trace_reset();
  ASSERT_EQ(wa_group_spawn(g, sleep_long_record, &rc1), 0);
  w = wa_spawn(group_waiter, g);
  ASSERT_EQ(wa_yield(), 0);
  wa_cancel(w);
  ASSERT_ERR(wa_join(w), WA_ECANCELED);
  ASSERT_ERR(wa_group_spawn(g, return_after_sleep, (void *)1), WA_EBUSY);
  wa_group_free(g);
  return 0;
}

TEST_IMPL(group_wait_in_timeout_scope_cancels_members) {
  wa_group *g = wa_group_new();
  int rc1 = 0;
  wa_timeout to;
  trace_reset();
  ASSERT_EQ(wa_group_spawn(g, sleep_long_record, &rc1), 0);
  wa_timeout_begin(&to, 10);
  ASSERT_ERR(wa_group_wait(g), WA_ETIMEDOUT);
  ASSERT_EQ(wa_timeout_end(&to), 1);
  ASSERT_ERR(rc1, WA_ECANCELED);
  ASSERT_EQ(wa_task_count(), 1);
  wa_group_free(g);
  return 0;
}

/* A member that ignores one cancellation (cleanup that itself awaits). */
static int slow_cleanup(void *arg) {
  (void)arg;
  int rc = wa_sleep(100000);
  ASSERT_ERR(rc, WA_ECANCELED);
  ASSERT_EQ(wa_sleep(10), 0); /* cancellation is edge-triggered */
  trace_add("cleaned");
  return rc;
}

TEST_IMPL(group_cancelled_waiter_waits_through_member_cleanup) {
  wa_group *g = wa_group_new();
  wa_task *w;
  trace_reset();
  ASSERT_EQ(wa_group_spawn(g, slow_cleanup, NULL), 0);
  w = wa_spawn(group_waiter, g);
  ASSERT_EQ(wa_yield(), 0);
  wa_cancel(w);
  ASSERT_ERR(wa_join(w), WA_ECANCELED);
  ASSERT_STR_EQ(trace, "cleaned waiter:WA_ECANCELED");
  wa_group_free(g);
  return 0;
}

static wa_group *nested_group;

static int spawn_sibling(void *arg) {
  (void)arg;
  ASSERT_EQ(wa_group_spawn(nested_group, return_after_sleep, (void *)5), 0);
  return 0;
}

TEST_IMPL(group_member_may_spawn_into_its_group) {
  nested_group = wa_group_new();
  trace_reset();
  ASSERT_EQ(wa_group_spawn(nested_group, spawn_sibling, NULL), 0);
  ASSERT_EQ(wa_group_wait(nested_group), 0);
  ASSERT_STR_EQ(trace, "slept5");
  wa_group_free(nested_group);
  return 0;
}

TEST_IMPL(group_member_spawned_after_failure_never_runs) {
  wa_group *g = wa_group_new();
  trace_reset();
  ASSERT_EQ(wa_group_spawn(g, fail_after_sleep, (void *)1), 0);
  ASSERT_EQ(wa_sleep(100), 0); /* long after the 1 ms member failed, even under load */
  ASSERT_EQ(wa_group_spawn(g, return_after_sleep, (void *)1), 0);
  ASSERT_EQ(wa_group_wait(g), 7);
  ASSERT_STR_EQ(trace, "fail");
  wa_group_free(g);
  return 0;
}

TEST_IMPL(group_free_cancels_running_members) {
  wa_group *g = wa_group_new();
  int rc1 = 0;
  trace_reset();
  ASSERT_EQ(wa_group_spawn(g, sleep_long_record, &rc1), 0);
  ASSERT_EQ(wa_yield(), 0);
  wa_group_free(g);
  ASSERT_EQ(wa_yield(), 0); /* the detached member sees its cancellation and ends */
  ASSERT_ERR(rc1, WA_ECANCELED);
  ASSERT_EQ(wa_task_count(), 1);
  return 0;
}

TEST_IMPL(group_null_arguments_are_einval) {
  ASSERT_ERR(wa_group_spawn(NULL, return_after_sleep, NULL), WA_EINVAL);
  ASSERT_ERR(wa_group_wait(NULL), WA_EINVAL);
  wa_group_free(NULL);
  return 0;
}
