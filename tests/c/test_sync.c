/* Synchronisation primitives: mutex, event, semaphore, condition variable,
 * wait group; FIFO wake order, cancellation and timeout scopes. */
#include "task.h"

static wa_mutex mu;

static int lock_and_trace(void *arg) {
  ASSERT_EQ(wa_mutex_lock(&mu), 0);
  trace_add("%s", (const char *)arg);
  ASSERT_EQ(wa_yield(), 0); /* hold it across an await point */
  ASSERT_EQ(wa_mutex_unlock(&mu), 0);
  return 0;
}

TEST_IMPL(mutex_waiters_acquire_in_fifo_order) {
  wa_task *ts[3];
  wa_mutex_init(&mu);
  trace_reset();
  ASSERT_EQ(wa_mutex_lock(&mu), 0);
  ts[0] = wa_spawn(lock_and_trace, "a");
  ts[1] = wa_spawn(lock_and_trace, "b");
  ts[2] = wa_spawn(lock_and_trace, "c");
  ASSERT_EQ(wa_yield(), 0);
  ASSERT_EQ(wa_mutex_unlock(&mu), 0);
  ASSERT_EQ(wa_join_all(ts, 3), 0);
  ASSERT_STR_EQ(trace, "a b c");
  return 0;
}

TEST_IMPL(mutex_trylock_is_ebusy_when_held) {
  wa_mutex_init(&mu);
  ASSERT_EQ(wa_mutex_trylock(&mu), 0);
  ASSERT_ERR(wa_mutex_trylock(&mu), WA_EBUSY);
  ASSERT_ERR(wa_mutex_lock(&mu), WA_EBUSY); /* not recursive */
  ASSERT_EQ(wa_mutex_unlock(&mu), 0);
  return 0;
}

static int unlock_other(void *arg) {
  (void)arg;
  return wa_mutex_unlock(&mu);
}

TEST_IMPL(mutex_unlock_by_non_owner_is_einval) {
  wa_mutex_init(&mu);
  ASSERT_ERR(wa_mutex_unlock(&mu), WA_EINVAL); /* unlocked */
  ASSERT_EQ(wa_mutex_lock(&mu), 0);
  ASSERT_ERR(wa_join(wa_spawn(unlock_other, NULL)), WA_EINVAL);
  ASSERT_EQ(wa_mutex_unlock(&mu), 0);
  return 0;
}

static int lock_record(void *arg) {
  int *rc = arg;
  *rc = wa_mutex_lock(&mu);
  if (*rc == 0) wa_mutex_unlock(&mu);
  return 0;
}

TEST_IMPL(mutex_lock_is_cancellable_and_leaves_queue) {
  int rc = 0;
  wa_task *t;
  wa_mutex_init(&mu);
  ASSERT_EQ(wa_mutex_lock(&mu), 0);
  t = wa_spawn(lock_record, &rc);
  ASSERT_EQ(wa_yield(), 0);
  wa_cancel(t);
  ASSERT_EQ(wa_join(t), 0);
  ASSERT_ERR(rc, WA_ECANCELED);
  ASSERT_EQ(wa_mutex_unlock(&mu), 0);
  ASSERT_EQ(wa_mutex_trylock(&mu), 0); /* the cancelled waiter was not handed the lock */
  ASSERT_EQ(wa_mutex_unlock(&mu), 0);
  return 0;
}

static int wait_event_trace(void *arg) {
  wa_event *e = arg;
  ASSERT_EQ(wa_event_wait(e), 0);
  trace_add("%u", wa_task_id(wa_current()));
  return 0;
}

TEST_IMPL(event_set_wakes_every_waiter) {
  wa_event e;
  wa_task *ts[3];
  wa_event_init(&e);
  trace_reset();
  for (int i = 0; i < 3; i++) ts[i] = wa_spawn(wait_event_trace, &e);
  ASSERT_EQ(wa_yield(), 0);
  ASSERT_STR_EQ(trace, "");
  wa_event_set(&e);
  ASSERT_EQ(wa_join_all(ts, 3), 0);
  ASSERT_STR_EQ(trace, "2 3 4");
  return 0;
}

TEST_IMPL(event_wait_returns_at_once_when_set) {
  wa_event e;
  wa_event_init(&e);
  ASSERT_EQ(wa_event_is_set(&e), 0);
  wa_event_set(&e);
  ASSERT_EQ(wa_event_is_set(&e), 1);
  ASSERT_EQ(wa_event_wait(&e), 0);
  wa_event_clear(&e);
  ASSERT_EQ(wa_event_is_set(&e), 0);
  return 0;
}

TEST_IMPL(event_wait_in_timeout_scope_returns_etimedout) {
  wa_event e;
  wa_timeout to;
  wa_event_init(&e);
  wa_timeout_begin(&to, 10);
  ASSERT_ERR(wa_event_wait(&e), WA_ETIMEDOUT);
  ASSERT_EQ(wa_timeout_end(&to), 1);
  ASSERT(wa_event_is_set(&e) == 0);
  return 0;
}

static wa_sem sem;

static int acquire_trace(void *arg) {
  ASSERT_EQ(wa_sem_acquire(&sem), 0);
  trace_add("%s", (const char *)arg);
  return 0;
}

TEST_IMPL(sem_limits_holders_and_wakes_fifo) {
  wa_task *ts[3];
  wa_sem_init(&sem, 1);
  trace_reset();
  ts[0] = wa_spawn(acquire_trace, "a");
  ts[1] = wa_spawn(acquire_trace, "b");
  ts[2] = wa_spawn(acquire_trace, "c");
  ASSERT_EQ(wa_yield(), 0);
  ASSERT_STR_EQ(trace, "a");
  wa_sem_release(&sem);
  wa_sem_release(&sem);
  ASSERT_EQ(wa_join_all(ts, 3), 0);
  ASSERT_STR_EQ(trace, "a b c");
  ASSERT_ERR(wa_sem_try_acquire(&sem), WA_EAGAIN);
  return 0;
}

TEST_IMPL(sem_try_acquire_counts_down) {
  wa_sem_init(&sem, 2);
  ASSERT_EQ(wa_sem_try_acquire(&sem), 0);
  ASSERT_EQ(wa_sem_try_acquire(&sem), 0);
  ASSERT_ERR(wa_sem_try_acquire(&sem), WA_EAGAIN);
  wa_sem_release(&sem);
  ASSERT_EQ(wa_sem_acquire(&sem), 0);
  return 0;
}

static int acquire_record(void *arg) {
  int *rc = arg;
  *rc = wa_sem_acquire(&sem);
  return 0;
}

TEST_IMPL(sem_acquire_is_cancellable) {
  int rc = 0;
  wa_task *t;
  wa_sem_init(&sem, 0);
  t = wa_spawn(acquire_record, &rc);
  ASSERT_EQ(wa_yield(), 0);
  wa_cancel(t);
  ASSERT_EQ(wa_join(t), 0);
  ASSERT_ERR(rc, WA_ECANCELED);
  wa_sem_release(&sem); /* no waiter left: the unit is kept */
  ASSERT_EQ(wa_sem_try_acquire(&sem), 0);
  return 0;
}

static wa_cond cv;
static int ready_flag;

static int cond_waiter(void *arg) {
  ASSERT_EQ(wa_mutex_lock(&mu), 0);
  while (!ready_flag) ASSERT_EQ(wa_cond_wait(&cv, &mu), 0);
  trace_add("%s", (const char *)arg);
  ASSERT_EQ(wa_mutex_unlock(&mu), 0);
  return 0;
}

TEST_IMPL(cond_broadcast_wakes_all_in_fifo_order) {
  wa_task *ts[2];
  wa_mutex_init(&mu);
  wa_cond_init(&cv);
  ready_flag = 0;
  trace_reset();
  ts[0] = wa_spawn(cond_waiter, "x");
  ts[1] = wa_spawn(cond_waiter, "y");
  ASSERT_EQ(wa_yield(), 0);
  ASSERT_EQ(wa_mutex_lock(&mu), 0);
  ready_flag = 1;
  wa_cond_broadcast(&cv);
  ASSERT_EQ(wa_mutex_unlock(&mu), 0);
  ASSERT_EQ(wa_join_all(ts, 2), 0);
  ASSERT_STR_EQ(trace, "x y");
  return 0;
}

static int cond_wait_once(void *arg) {
  ASSERT_EQ(wa_mutex_lock(&mu), 0);
  ASSERT_EQ(wa_cond_wait(&cv, &mu), 0);
  trace_add("%s", (const char *)arg);
  ASSERT_EQ(wa_mutex_unlock(&mu), 0);
  return 0;
}

TEST_IMPL(cond_signal_wakes_one_waiter) {
  wa_task *ts[2];
  wa_mutex_init(&mu);
  wa_cond_init(&cv);
  trace_reset();
  ts[0] = wa_spawn(cond_wait_once, "x");
  ts[1] = wa_spawn(cond_wait_once, "y");
  ASSERT_EQ(wa_yield(), 0);
  wa_cond_signal(&cv);
  ASSERT_EQ(wa_sleep(1), 0);
  ASSERT_STR_EQ(trace, "x");
  wa_cond_signal(&cv);
  ASSERT_EQ(wa_join_all(ts, 2), 0);
  ASSERT_STR_EQ(trace, "x y");
  return 0;
}

TEST_IMPL(cond_wait_without_mutex_is_einval) {
  wa_mutex_init(&mu);
  wa_cond_init(&cv);
  ASSERT_ERR(wa_cond_wait(&cv, &mu), WA_EINVAL);
  return 0;
}

TEST_IMPL(cond_wait_in_timeout_scope_reacquires_mutex) {
  wa_timeout to;
  wa_mutex_init(&mu);
  wa_cond_init(&cv);
  ASSERT_EQ(wa_mutex_lock(&mu), 0);
  wa_timeout_begin(&to, 10);
  ASSERT_ERR(wa_cond_wait(&cv, &mu), WA_ETIMEDOUT);
  ASSERT_EQ(wa_timeout_end(&to), 1);
  ASSERT_EQ(wa_mutex_unlock(&mu), 0); /* held again, even on error */
  return 0;
}

static wa_waitgroup wg;

static int wg_worker(void *arg) {
  ASSERT_EQ(wa_sleep((int64_t)(intptr_t)arg), 0);
  trace_add("w%d", (int)(intptr_t)arg);
  return wa_waitgroup_done(&wg);
}

TEST_IMPL(waitgroup_wait_returns_when_count_reaches_zero) {
  wa_waitgroup_init(&wg);
  trace_reset();
  ASSERT_EQ(wa_waitgroup_add(&wg, 2), 0);
  /* 60 ms apart, not 5: the two sleeps start one after the other, and on a
   * loaded machine the process can be descheduled for milliseconds between
   * them (the order seen was "w5 w1" at 5 vs 1 ms, one run in three). */
  wa_detach(wa_spawn(wg_worker, (void *)60));
  wa_detach(wa_spawn(wg_worker, (void *)1));
  ASSERT_EQ(wa_waitgroup_wait(&wg), 0);
  trace_add("done");
  ASSERT_STR_EQ(trace, "w1 w60 done");
  ASSERT_EQ(wa_yield(), 0); /* let the detached workers finish returning */
  return 0;
}

TEST_IMPL(waitgroup_negative_count_is_einval) {
  wa_waitgroup_init(&wg);
  ASSERT_ERR(wa_waitgroup_done(&wg), WA_EINVAL);
  ASSERT_EQ(wa_waitgroup_add(&wg, 1), 0);
  ASSERT_ERR(wa_waitgroup_add(&wg, -2), WA_EINVAL);
  ASSERT_EQ(wa_waitgroup_done(&wg), 0);
  ASSERT_EQ(wa_waitgroup_wait(&wg), 0); /* count is zero: no wait */
  return 0;
}

static int wg_wait_record(void *arg) {
  int *rc = arg;
  *rc = wa_waitgroup_wait(&wg);
  return 0;
}

TEST_IMPL(waitgroup_wait_is_cancellable) {
  int rc = 0;
  wa_task *t;
  wa_waitgroup_init(&wg);
  ASSERT_EQ(wa_waitgroup_add(&wg, 1), 0);
  t = wa_spawn(wg_wait_record, &rc);
  ASSERT_EQ(wa_yield(), 0);
  wa_cancel(t);
  ASSERT_EQ(wa_join(t), 0);
  ASSERT_ERR(rc, WA_ECANCELED);
  ASSERT_EQ(wa_waitgroup_done(&wg), 0);
  return 0;
}

TEST_IMPL(sem_acquire_in_timeout_scope_returns_etimedout) {
  wa_timeout to;
  wa_sem_init(&sem, 0);
  wa_timeout_begin(&to, 10);
  ASSERT_ERR(wa_sem_acquire(&sem), WA_ETIMEDOUT);
  ASSERT_EQ(wa_timeout_end(&to), 1);
  return 0;
}

static wa_cond cv2;

static int cond_wait_with_timeout(void *arg) {
  wa_timeout to;
  int rc;
  (void)arg;
  ASSERT_EQ(wa_mutex_lock(&mu), 0);
  wa_timeout_begin(&to, 20);
  rc = wa_cond_wait(&cv2, &mu); /* re-queues on the mutex after the timeout */
  ASSERT_EQ(wa_timeout_end(&to), 1);
  trace_add("A:%s", wa_err_name(rc));
  return wa_mutex_unlock(&mu);
}

static int lock_trace_unlock(void *arg) {
  ASSERT_EQ(wa_mutex_lock(&mu), 0);
  trace_add("%s", (const char *)arg);
  return wa_mutex_unlock(&mu);
}

static int cond_wait_trace(void *arg) {
  ASSERT_EQ(wa_mutex_lock(&mu), 0);
  ASSERT_EQ(wa_cond_wait(&cv2, &mu), 0);
  trace_add("%s", (const char *)arg);
  return wa_mutex_unlock(&mu);
}

/* A timeout that ends a cond wait unlinks the waiter from the cond's queue
 * only: the mutex's queue keeps its FIFO order (the waiter that was
 * queued first gets the mutex first, the timed-out one queues behind it),
 * and a later signal reaches a later waiter, not the stale one. */
TEST_IMPL(cond_wait_timed_out_leaves_the_mutex_queue_intact) {
  wa_task *a, *c, *d;
  wa_mutex_init(&mu);
  wa_cond_init(&cv2);
  trace_reset();
  a = wa_spawn(cond_wait_with_timeout, NULL);
  ASSERT_EQ(wa_yield(), 0);              /* A waits on the cond, mutex free */
  ASSERT_EQ(wa_mutex_lock(&mu), 0);
  c = wa_spawn(lock_trace_unlock, "C");
  ASSERT_EQ(wa_yield(), 0);              /* C queues on the mutex */
  ASSERT_EQ(wa_sleep(40), 0);            /* A times out, queues behind C */
  ASSERT_STR_EQ(trace, "");
  ASSERT_EQ(wa_mutex_unlock(&mu), 0);
  ASSERT_EQ(wa_join(c), 0);
  ASSERT_EQ(wa_join(a), 0);
  ASSERT_STR_EQ(trace, "C A:WA_ETIMEDOUT");
  d = wa_spawn(cond_wait_trace, "D");
  ASSERT_EQ(wa_yield(), 0);              /* D waits on the cond */
  wa_cond_signal(&cv2);
  ASSERT_EQ(wa_join(d), 0);
  ASSERT_STR_EQ(trace, "C A:WA_ETIMEDOUT D");
  return 0;
}
