/* group.c — structured concurrency (like asyncio.TaskGroup).
 *
 * Promises (see wasync.h): the first member to return non-zero cancels every
 * other member; wa_group_wait returns that status once every member has
 * finished; a cancelled (or timed-out) waiter cancels every member and still
 * waits for all of them, so nothing outlives its group; wa_group_free
 * cancels and detaches whatever is still running and wakes its waiters,
 * which return WA_ECLOSED.
 *
 * How: members are detached tasks (they free themselves) whose exit hook
 * reports to the group. The group keeps only their generation-checked
 * handles, so cancelling a member that has already gone is harmless. A
 * member spawned after the first failure is cancelled before it starts,
 * keeping "the first error cancels every other member" true.
 *
 * wa_group_free while tasks are inside wa_group_wait (queued, or woken but
 * not yet running again) only marks the group freed; the last of them to
 * leave releases its memory, so none of them reads freed memory. */
#include <stdlib.h>
#include <limits.h>
#include "internal.h"

struct wa_group {
  wa_task **members;   /* handles; may be stale once a member has ended */
  int len, cap;
  int running;         /* members that have not ended yet */
  int first;           /* first non-zero member status, 0 if none */
  int shutting_down;   /* a waiter was interrupted: no new members */
  int freed;           /* wa_group_free was called; released when inside is 0 */
  int inside;          /* tasks inside wa_group_wait */
  wa__waitq waiters;   /* tasks in wa_group_wait, woken when running hits 0 */
};

static void release(wa_group *g) {
  free(g->members);
  free(g);
}

wa_group *wa_group_new(void) {
  wa_group *g = calloc(1, sizeof *g);
  if (g) wa__waitq_init(&g->waiters);
  return g;
}

/* The member task behind h, if it is still alive and still ours. */
static wa__task *live_member(const wa_group *g, wa_task *h) {
  wa__task *t = wa__task_from_handle(h);
  return t && t->exit_ctx == g ? t : NULL;
}

static void cancel_members(wa_group *g) {
  for (int i = 0; i < g->len; i++) {
    if (live_member(g, g->members[i])) wa_cancel(g->members[i]);
  }
}

/* Runs inside wa__task_finish of a member (its status is final). */
static void member_exit(wa__task *t, void *ctx) {
  wa_group *g = ctx;
  t->exit_hook = NULL;
  t->exit_ctx = NULL;
  g->running--;
  if (t->status != 0 && g->first == 0) {
    g->first = t->status;
    cancel_members(g);
  }
  if (g->running == 0) wa__waitq_wake_all(&g->waiters, 0);
}

/* Makes room for one more handle, first dropping those of ended members so
 * a long-lived group does not grow without bound. */
static int reserve_slot(wa_group *g) {
  int j = 0;
  wa_task **m;
  for (int i = 0; i < g->len; i++) {
    if (live_member(g, g->members[i])) g->members[j++] = g->members[i];
  }
  g->len = j;
  if (g->len < g->cap) return 0;
  if (g->cap > INT_MAX / 2) return WA_ENOMEM;
  m = wa__realloc_n(g->members, (size_t)(g->cap ? g->cap * 2 : 8), sizeof *m);
  if (!m) return WA_ENOMEM;
  g->members = m;
  g->cap = g->cap ? g->cap * 2 : 8;
  return 0;
}

int wa_group_spawn(wa_group *g, wa_fn fn, void *arg) {
  wa_task_opts opts = {"group", 0};
  wa__task *t;
  if (!g || !fn) return WA_EINVAL;
  if (g->shutting_down) return WA_EBUSY;
  if (reserve_slot(g)) return WA_ENOMEM;
  t = wa__task_spawn(fn, arg, &opts);
  if (!t) return WA_ENOMEM;
  t->detached = 1;
  t->exit_hook = member_exit;
  t->exit_ctx = g;
  g->members[g->len++] = wa__task_handle(t);
  g->running++;
  if (g->first != 0) wa_cancel(wa__task_handle(t));
  return 0;
}

/* Waits until no member is running, ignoring further interruptions: the
 * caller has already been told (and will return) the first one. Stops if
 * g is freed meanwhile. */
static void wait_all_uninterruptibly(wa_group *g) {
  while (g->running > 0 && !g->freed) wa__waitq_wait(&g->waiters, "group (cancelling)", g);
}

int wa_group_wait(wa_group *g) {
  int rc;
  if (!g) return WA_EINVAL;
  rc = wa__await_begin();
  if (rc == WA_ENOTASK) return rc;
  g->inside++;
  while (rc == 0 && g->running > 0 && !g->freed) rc = wa__waitq_wait(&g->waiters, "group", g);
  if (rc == 0) {
    rc = g->running > 0 ? WA_ECLOSED : g->first; /* freed before every member ended */
  } else if (!g->freed) {
    g->shutting_down = 1;
    cancel_members(g);
    wait_all_uninterruptibly(g);
  }
  if (--g->inside == 0 && g->freed) release(g);
  return rc;
}

void wa_group_free(wa_group *g) {
  if (!g || g->freed) return;
  g->shutting_down = 1;
  for (int i = 0; i < g->len; i++) {
    wa__task *t = live_member(g, g->members[i]);
    if (!t) continue;
    /* Already detached; unhook so its end does not touch the freed group. */
    t->exit_hook = NULL;
    t->exit_ctx = NULL;
    wa_cancel(g->members[i]);
  }
  g->freed = 1;
  wa__waitq_wake_all(&g->waiters, WA_ECLOSED);
  if (g->inside == 0) release(g);
}
