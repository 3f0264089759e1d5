/* Hostile arguments and misuse (issue 12): extreme sizes and times, handles
 * and scopes used after their task ended, primitives freed under their
 * waiters, NULL. Each has a defined, documented result (wasync.h) and never
 * corrupts memory: ASan+UBSan check the native runs. */
#include "task.h"
#include "../../src/internal.h"

static int quick(void *arg) { return (int)(intptr_t)arg; }

static int sleeper(void *arg) { return wa_sleep((int64_t)(intptr_t)arg); }

/* ---- 1: stack sizes ------------------------------------------------------ */

TEST_IMPL(spawn_with_a_stack_size_that_would_wrap_returns_null) {
  static const size_t sizes[] = {(size_t)-1, (size_t)-16, (size_t)0xFFFFFFF0u, (size_t)0xFFFFFFFFu,
                                 (size_t)-1 / 2 + 1};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    wa_task_opts o = {"huge", sizes[i]};
    if (wa_spawn_opts(quick, NULL, &o) != NULL) WA_TEST_FAIL_("stack_size %zu was accepted", sizes[i]);
    ASSERT_EQ(wa_task_count(), 1);
  }
  ASSERT_EQ(wa_join(wa_spawn(quick, (void *)7)), 7); /* the heap is intact */
  return 0;
}

TEST_IMPL(spawn_accepts_stack_sizes_up_to_wa_stack_max_and_refuses_more) {
  wa_task_opts above = {"above", WA_STACK_MAX + 1}, below = {"below", WA_STACK_MIN - 1};
  wa_task_opts min = {"min", WA_STACK_MIN};
  ASSERT(wa_spawn_opts(quick, NULL, &above) == NULL);
  ASSERT(wa_spawn_opts(quick, NULL, &below) == NULL);
  ASSERT_EQ(wa_join(wa_spawn_opts(quick, (void *)3, &min)), 3);
  return 0;
}

/* ---- 2: wa_join_all owns the handles it was given ------------------------ */

static wa_task *gathered[2];

static int gatherer(void *arg) {
  (void)arg;
  return wa_join_all(gathered, 2);
}

TEST_IMPL(join_all_refuses_foreign_joins_and_survives_being_cancelled) {
  wa_task *g;
  gathered[0] = wa_spawn(sleeper, (void *)10000);
  gathered[1] = wa_spawn(quick, (void *)5);
  g = wa_spawn(gatherer, NULL);
  ASSERT_EQ(wa_yield(), 0); /* the sleeper parks, quick ends, g waits on the sleeper */
  /* gathered[1] belongs to g's join_all: nobody else may join or free it. */
  ASSERT_ERR(wa_join(gathered[1]), WA_EINVAL);
  wa_detach(gathered[1]);
  wa_cancel(g);
  ASSERT_ERR(wa_join(g), WA_ECANCELED);
  ASSERT_EQ(wa_sleep(1), 0); /* the sleeper, cancelled and detached, ends */
  ASSERT_EQ(wa_task_count(), 1);
  return 0;
}

/* ---- 3: wa_group_free under a waiter ---------------------------------------- */

static int group_waiter(void *arg) { return wa_group_wait(arg); }

/* Outlives a cancel by a few sleeps, like a member cleaning up. */
static int stubborn(void *arg) {
  (void)arg;
  for (int i = 0; i < 4; i++) wa_sleep(2);
  return 0;
}

/* A group with one member, fn(arg), and a task w waiting for it: both have
 * run up to their first await when it returns. */
static wa_task *group_with_a_waiter(wa_group **g, wa_fn fn, void *arg) {
  wa_task *w;
  ASSERT((*g = wa_group_new()) != NULL);
  ASSERT_EQ(wa_group_spawn(*g, fn, arg), 0);
  w = wa_spawn(group_waiter, *g);
  ASSERT_EQ(wa_yield(), 0);
  return w;
}

TEST_IMPL(group_free_wakes_its_waiter_with_eclosed) {
  wa_group *g;
  wa_task *w = group_with_a_waiter(&g, sleeper, (void *)10000);
  wa_group_free(g);
  ASSERT_ERR(wa_join(w), WA_ECLOSED);
  ASSERT_EQ(wa_sleep(1), 0); /* the member, cancelled and detached, ends */
  ASSERT_EQ(wa_task_count(), 1);
  return 0;
}

TEST_IMPL(group_free_under_a_cancelled_waiter_still_waiting_for_members) {
  wa_group *g;
  wa_task *w = group_with_a_waiter(&g, stubborn, NULL);
  wa_cancel(w);             /* w cancels the member and waits for it to end */
  ASSERT_EQ(wa_yield(), 0);
  wa_group_free(g);
  ASSERT_ERR(wa_join(w), WA_ECANCELED);
  while (wa_task_count() > 1) ASSERT_EQ(wa_sleep(1), 0);
  return 0;
}

static int yields_then_returns_7(void *arg) {
  (void)arg;
  wa_yield();
  return 7;
}

TEST_IMPL(group_free_after_the_last_member_woke_the_waiter_keeps_its_status) {
  wa_group *g;
  wa_task *w = group_with_a_waiter(&g, yields_then_returns_7, NULL); /* the member yielded */
  ASSERT_EQ(wa_yield(), 0); /* the member ends and wakes w, which has not run yet */
  wa_group_free(g);
  ASSERT_EQ(wa_join(w), 7);
  return 0;
}

/* ---- 4: timeout scopes that outlive their task ------------------------------ */

static wa_timeout left_open;

static int opens_a_scope_and_returns(void *arg) {
  wa_timeout_begin(&left_open, (int64_t)(intptr_t)arg);
  return 0;
}

static int times_out_in_20ms(void *arg) {
  wa_timeout to;
  int rc;
  (void)arg;
  wa_timeout_begin(&to, 20);
  rc = wa_sleep(5000);
  wa_timeout_end(&to);
  return rc;
}

TEST_IMPL(timeout_end_after_the_scopes_task_ended_touches_nothing) {
  wa_task *u;
  ASSERT_EQ(wa_join(wa_spawn(opens_a_scope_and_returns, (void *)10000)), 0);
  /* A new task, likely where the ended one was, with a scope of its own. */
  u = wa_spawn(times_out_in_20ms, NULL);
  ASSERT_EQ(wa_yield(), 0);
  ASSERT_EQ(wa_timeout_end(&left_open), 0); /* closed when its task ended */
  ASSERT_ERR(wa_join(u), WA_ETIMEDOUT);     /* u's own scope was left alone */
  return 0;
}

TEST_IMPL(timeout_end_of_a_scope_closed_earlier_leaves_open_scopes_alone) {
  wa_timeout outer, inner, later;
  wa_timeout_begin(&outer, 10000);
  wa_timeout_begin(&inner, 10000);
  ASSERT_EQ(wa_timeout_end(&outer), 0); /* closes inner too */
  wa_timeout_begin(&later, 10);
  ASSERT_EQ(wa_timeout_end(&inner), 0); /* already closed: a no-op */
  ASSERT_ERR(wa_sleep(5000), WA_ETIMEDOUT);
  ASSERT_EQ(wa_timeout_end(&later), 1);
  return 0;
}

/* ---- 5: a mutex whose holder ended ------------------------------------------- */

static wa_mutex abandoned;

static int locks_and_returns(void *arg) {
  (void)arg;
  return wa_mutex_lock(&abandoned);
}

static int tries_the_abandoned_mutex(void *arg) {
  wa_timeout to;
  int rc;
  (void)arg;
  ASSERT_ERR(wa_mutex_unlock(&abandoned), WA_EINVAL); /* never locked it */
  ASSERT_ERR(wa_mutex_trylock(&abandoned), WA_EBUSY);
  wa_timeout_begin(&to, 10);
  rc = wa_mutex_lock(&abandoned); /* waits: the holder never unlocks */
  ASSERT_EQ(wa_timeout_end(&to), 1);
  return rc;
}

TEST_IMPL(a_task_in_a_dead_holders_place_does_not_hold_its_mutex) {
  wa_mutex_init(&abandoned);
  ASSERT_EQ(wa_join(wa_spawn(locks_and_returns, NULL)), 0);
  /* Spawned like the holder, so likely at its address and in its slot. */
  ASSERT_ERR(wa_join(wa_spawn(tries_the_abandoned_mutex, NULL)), WA_ETIMEDOUT);
  ASSERT_ERR(wa_mutex_unlock(&abandoned), WA_EINVAL);
  return 0;
}

/* ---- 12: huge times mean never --------------------------------------------- */

static int sleeps_for(void *arg) {
  int64_t ms = *(const int64_t *)arg;
  return wa_sleep(ms);
}

TEST_IMPL(a_huge_sleep_sleeps_until_cancelled) {
  static const int64_t huge[] = {INT64_MAX, INT64_MAX / 1000 + 1, INT64_MAX / 2, (int64_t)1 << 53};
  wa_task *ts[4];
  for (int i = 0; i < 4; i++) ts[i] = wa_spawn(sleeps_for, (void *)&huge[i]);
  ASSERT_EQ(wa_sleep(20), 0);
  for (int i = 0; i < 4; i++) {
    uint32_t id = wa_task_id(ts[i]);
    char line[256];
    wa__task *t = wa__task_from_handle(ts[i]);
    ASSERT(t != NULL);
    wa__task_describe(t, line, sizeof line);
    if (t->state != WA__WAITING) WA_TEST_FAIL_("sleep(%lld) ended early: %s", (long long)huge[i], line);
    ASSERT(id != 0);
    wa_cancel(ts[i]);
    ASSERT_ERR(wa_join(ts[i]), WA_ECANCELED);
  }
  return 0;
}

TEST_IMPL(a_huge_timeout_never_expires) {
  static const int64_t huge[] = {INT64_MAX, INT64_MAX / 1000 + 1, INT64_MAX / 2, (int64_t)1 << 53};
  for (int i = 0; i < 4; i++) {
    wa_timeout to;
    wa_timeout_begin(&to, huge[i]);
    ASSERT_EQ(wa_sleep(2), 0);
    ASSERT_EQ(wa_timeout_end(&to), 0);
  }
  return 0;
}

/* ---- 13: the host timer is armed for at most 2^31-1 ms ---------------------- */

/* The runtime counts the host timer's fires here, in the tests only
 * (internal.h). */
unsigned long wa__timers_fired;

/* Spins on yields (no timer of its own) for ms; returns how often the host
 * timer fired meanwhile. */
static unsigned long host_timer_fires_while_spinning(int64_t ms) {
  unsigned long before = wa__timers_fired;
  int64_t start;
  ASSERT_EQ(wa_sleep(1), 0); /* the counter counts: a sleep is one fire */
  ASSERT_GE(wa__timers_fired, before + 1);
  before = wa__timers_fired;
  start = wa_now();
  while (wa_now() - start < ms) ASSERT_EQ(wa_yield(), 0);
  return wa__timers_fired - before;
}

TEST_IMPL(a_sleep_beyond_2_31_ms_does_not_spin_the_host_timer) {
  static const int64_t ms = ((int64_t)1 << 31) + 1000;
  wa_task *t = wa_spawn(sleeps_for, (void *)&ms);
  ASSERT_EQ(wa_yield(), 0); /* it parks */
  ASSERT_LE(host_timer_fires_while_spinning(100), 1);
  wa_cancel(t);
  ASSERT_ERR(wa_join(t), WA_ECANCELED);
  return 0;
}

TEST_IMPL(a_timeout_beyond_2_31_ms_does_not_spin_the_host_timer) {
  wa_timeout to;
  wa_timeout_begin(&to, ((int64_t)1 << 32));
  ASSERT_LE(host_timer_fires_while_spinning(100), 1);
  ASSERT_EQ(wa_timeout_end(&to), 0);
  return 0;
}

/* ---- 21: NULL primitives ------------------------------------------------------ */

TEST_IMPL(null_primitives_are_einval_or_ignored) {
  wa_mutex m;
  wa_cond c;
  /* Calls that return a code say WA_EINVAL (before consuming a pending
   * cancellation); void calls do nothing; wa_event_is_set says "not set". */
  wa_timeout_begin(NULL, 10);
  ASSERT_ERR(wa_timeout_end(NULL), WA_EINVAL);
  wa_mutex_init(NULL);
  ASSERT_ERR(wa_mutex_lock(NULL), WA_EINVAL);
  ASSERT_ERR(wa_mutex_trylock(NULL), WA_EINVAL);
  ASSERT_ERR(wa_mutex_unlock(NULL), WA_EINVAL);
  wa_event_init(NULL);
  wa_event_set(NULL);
  wa_event_clear(NULL);
  ASSERT_ERR(wa_event_wait(NULL), WA_EINVAL);
  ASSERT_EQ(wa_event_is_set(NULL), 0);
  wa_sem_init(NULL, 1);
  ASSERT_ERR(wa_sem_acquire(NULL), WA_EINVAL);
  ASSERT_ERR(wa_sem_try_acquire(NULL), WA_EINVAL);
  wa_sem_release(NULL);
  wa_cond_init(NULL);
  wa_cond_init(&c);
  wa_mutex_init(&m);
  ASSERT_EQ(wa_mutex_lock(&m), 0);
  ASSERT_ERR(wa_cond_wait(NULL, &m), WA_EINVAL);
  ASSERT_ERR(wa_cond_wait(&c, NULL), WA_EINVAL);
  ASSERT_EQ(wa_mutex_unlock(&m), 0); /* still held after the refused wait */
  wa_cond_signal(NULL);
  wa_cond_broadcast(NULL);
  wa_waitgroup_init(NULL);
  ASSERT_ERR(wa_waitgroup_add(NULL, 1), WA_EINVAL);
  ASSERT_ERR(wa_waitgroup_done(NULL), WA_EINVAL);
  ASSERT_ERR(wa_waitgroup_wait(NULL), WA_EINVAL);
  ASSERT_ERR(wa_group_wait(NULL), WA_EINVAL);
  wa_group_free(NULL);
  return 0;
}

TEST_IMPL(null_primitive_is_einval_before_a_pending_cancel_is_consumed) {
  wa_task *self = wa_current();
  wa_cancel(self);
  ASSERT_ERR(wa_mutex_lock(NULL), WA_EINVAL);
  ASSERT_ERR(wa_event_wait(NULL), WA_EINVAL);
  ASSERT_ERR(wa_yield(), WA_ECANCELED); /* still pending, delivered here */
  return 0;
}

/* ---- issue 21 #4: array sizes never wrap ---------------------------------- */

/* wa_select and wa_join_any size their wait nodes from a count: on wasm32
 * n * sizeof(node) wrapped to a small block that the waits then overran.
 * Every such product goes through wa__realloc_n, which refuses it. */
TEST_IMPL(array_sizes_that_would_wrap_are_refused) {
  void *p;
  ASSERT(wa__realloc_n(NULL, SIZE_MAX / 24 + 1, 24) == NULL);
  ASSERT(wa__realloc_n(NULL, (size_t)INT32_MAX, 1u << 8) == NULL || sizeof(size_t) > 4);
  ASSERT(wa__realloc_n(NULL, SIZE_MAX, 2) == NULL);
  p = wa__realloc_n(NULL, 16, 24);
  ASSERT(p != NULL);
  ASSERT((p = wa__realloc_n(p, 32, 24)) != NULL);
  free(p);
  return 0;
}
