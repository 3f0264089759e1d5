/* Misuse of the API has defined results (documented in wasync.h), never
 * memory corruption: ASan checks the native runs. */
#include "task.h"

static int quick(void *arg) { return (int)(intptr_t)arg; }

TEST_IMPL(join_of_detached_task_is_einval) {
  wa_task *t = wa_spawn(quick, (void *)3);
  wa_detach(t);
  ASSERT_ERR(wa_join(t), WA_EINVAL); /* still running: detached, not joinable */
  ASSERT_EQ(wa_yield(), 0);          /* it ends and frees itself */
  ASSERT_ERR(wa_join(t), WA_EINVAL); /* now stale */
  return 0;
}

TEST_IMPL(detach_twice_and_cancel_after_end_are_harmless) {
  wa_task *t = wa_spawn(quick, (void *)0);
  wa_detach(t);
  wa_detach(t);
  ASSERT_EQ(wa_yield(), 0);
  wa_cancel(t);
  wa_detach(t);
  return 0;
}

TEST_IMPL(cancel_of_finished_task_keeps_its_status) {
  wa_task *t = wa_spawn(quick, (void *)9);
  ASSERT_EQ(wa_yield(), 0); /* it has finished */
  wa_cancel(t);
  ASSERT_EQ(wa_join(t), 9);
  return 0;
}

TEST_IMPL(null_and_garbage_handles_are_einval) {
  ASSERT_ERR(wa_join(NULL), WA_EINVAL);
  ASSERT_ERR(wa_join((wa_task *)(uintptr_t)0x12345), WA_EINVAL);
  wa_cancel(NULL);
  wa_detach((wa_task *)(uintptr_t)0x7fffffff);
  ASSERT_EQ(wa_task_id(NULL), 0);
  ASSERT_STR_EQ(wa_task_name(NULL), "");
  return 0;
}

TEST_IMPL(two_joiners_second_is_einval) {
  wa_task *t = wa_spawn(quick, (void *)1);
  wa_task *ts[1] = {t};
  int idx;
  /* join_any marks t joined while it waits; a concurrent wa_join is refused */
  ASSERT_EQ(wa_join_any(ts, 1, &idx), 1);
  ASSERT_EQ(idx, 0);
  ASSERT_ERR(wa_join(t), WA_EINVAL);
  return 0;
}

TEST_IMPL(spawn_out_of_memory_returns_null_and_the_program_goes_on) {
  wa_task_opts huge = {"huge", (size_t)-1 / 2};
  ASSERT(wa_spawn_opts(quick, NULL, &huge) == NULL);
  ASSERT_EQ(wa_task_count(), 1);
  wa_task *t = wa_spawn(quick, (void *)4); /* still works */
  ASSERT_EQ(wa_join(t), 4);
  return 0;
}

TEST_IMPL(timeout_end_of_wrong_scope_closes_inner_ones) {
  wa_timeout outer, inner;
  wa_timeout_begin(&outer, 10000);
  wa_timeout_begin(&inner, 1);
  ASSERT_EQ(wa_timeout_end(&outer), 0); /* inner closed with it: no timer left */
  ASSERT_EQ(wa_sleep(5), 0);            /* nothing fires */
  return 0;
}

TEST_IMPL(mutex_relock_by_owner_is_ebusy) {
  wa_mutex m;
  wa_mutex_init(&m);
  ASSERT_ERR(wa_mutex_unlock(&m), WA_EINVAL);
  ASSERT_EQ(wa_mutex_lock(&m), 0);
  ASSERT_ERR(wa_mutex_lock(&m), WA_EBUSY); /* not recursive: refused, not deadlocked */
  ASSERT_EQ(wa_mutex_unlock(&m), 0);
  return 0;
}

/* Issue 21, finding 3: a slot's generation wraps after 1023 reuses; a
 * stale handle must never equal a later task's, however many spawn+join
 * cycles pass. */
static int park(void *arg) {
  int rc = wa_sleep(INT64_MAX);
  *(int *)arg = 1;
  return rc == WA_ECANCELED ? 7 : 8;
}

TEST_IMPL(stale_handle_never_matches_a_later_task) {
  wa_task *stale = wa_spawn(quick, (void *)1);
  ASSERT_EQ(wa_join(stale), 1);
  for (int i = 0; i < 5000; i++) {
    int woke = 0;
    wa_task *t = wa_spawn(park, &woke);
    ASSERT(t != NULL);
    ASSERT(t != stale);
    ASSERT_ERR(wa_join(stale), WA_EINVAL);
    wa_cancel(stale); /* must not reach t */
    ASSERT_EQ(wa_yield(), 0);
    ASSERT_EQ(woke, 0);
    wa_cancel(t);
    ASSERT_EQ(wa_join(t), 7);
  }
  return 0;
}
