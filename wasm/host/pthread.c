/* pthread.c — POSIX threads as wasync tasks (wasm only, no -pthread).
 *
 * Without -pthread Emscripten links stubs: pthread_create fails, mutexes
 * and condition variables do nothing. The link wraps the pthread calls
 * (wasm-ld --wrap, js/cli/build.mjs: PTHREAD_WRAPS) so that every reference
 * reaches __wrap_<name> here, where a thread is a task (named "pthread
 * <task id>", or pthread_setname_np's name) and every blocking call is an
 * await of the calling task only, as in GNU Pth. The contract users see is
 * in wasync.h ("POSIX threads").
 *  - The state of each object lives inside the libc's own opaque struct
 *    (checked below), and all-zero is a valid unlocked object, so the
 *    static initializers work. Threads live in records found through two
 *    small hash tables (by record address and by task id).
 *  - Outside a task (a constructor, a direct call of an export) a call that
 *    could block returns at once, as Emscripten's stubs do (0; a semaphore
 *    gives a unit if it has one; pthread_create and pthread_join are the
 *    stubs themselves, __real_<name>);
 *    the calls that never block (post, signal, broadcast, keys, attributes,
 *    once) work everywhere, so JS calling C can wake waiting threads.
 *  - Cancellation: pthread_cancel is wa_cancel. The POSIX cancellation
 *    points among these calls (pthread_join, pthread_cond_wait/timedwait,
 *    sem_wait/timedwait, pthread_testcancel) act on it in a thread made by
 *    pthread_create with cancellation enabled: its cleanup handlers run and
 *    it exits with PTHREAD_CANCELED; in any other task they return
 *    ECANCELED. The other blocking calls (mutex, rwlock, barrier) are not
 *    cancellation points: they wait on and leave the cancellation pending.
 *  - A thread that ends through pthread_exit (or a cancellation) ends its
 *    task where it stands (wa__task_exit): its frames are never resumed,
 *    and its stack and task go at once (the task is detached; only the
 *    record stays for pthread_join), as when its function returns. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "internal.h"
#include "deadline.h"

#define WOKEN 1 /* the wake code of a waiter handed what it waits for */

/* ---- the objects' layouts inside the libc's structs ------------------------ */

typedef struct { wa__waitq q; uint32_t owner; int type; unsigned count; } pmutex;
typedef struct { wa__waitq q; int clock; } pcond;
typedef struct { wa__waitq rq, wq; unsigned readers; uint32_t writer; } prwlock;
typedef struct { wa__waitq q; unsigned count, waiting, gen; } pbarrier;
typedef struct { wa__waitq q; int value; } psem;
typedef struct { size_t stack_size; int detached; } pattr;

_Static_assert(sizeof(pmutex) <= sizeof(pthread_mutex_t), "pmutex fits");
_Static_assert(sizeof(pcond) <= sizeof(pthread_cond_t), "pcond fits");
_Static_assert(sizeof(prwlock) <= sizeof(pthread_rwlock_t), "prwlock fits");
_Static_assert(sizeof(pbarrier) <= sizeof(pthread_barrier_t), "pbarrier fits");
_Static_assert(sizeof(psem) <= sizeof(sem_t), "psem fits");
_Static_assert(sizeof(pattr) <= sizeof(pthread_attr_t), "pattr fits");

#define MUTEX(m) ((pmutex *)(void *)(m))
#define COND(c) ((pcond *)(void *)(c))
#define RWLOCK(r) ((prwlock *)(void *)(r))
#define BARRIER(b) ((pbarrier *)(void *)(b))
#define SEM(s) ((psem *)(void *)(s))
#define ATTR(a) ((pattr *)(void *)(a))

/* ---- thread records --------------------------------------------------------- */

/* One per thread made by pthread_create, and one per other task that asked
 * for its pthread_t, key values or cleanup handlers ("foreign"). */
typedef struct rec {
  struct rec *by_ptr, *by_id; /* hash chains */
  struct rec *foreign_next;   /* foreign records, for the sweep */
  wa_task *task;
  uint32_t task_id;
  void *(*start)(void *);
  void *arg, *ret;
  void **keys;                /* PTHREAD_KEYS_MAX values, or NULL */
  struct __ptcb *cleanup;     /* pthread_cleanup_push's handlers */
  wa__waitq joiners;
  unsigned foreign : 1, detached : 1, joined : 1, done : 1;
  unsigned cancel_off : 1, cancel_deferred : 1;
} rec;

#define BUCKETS 256
static rec *by_ptr[BUCKETS], *by_id[BUCKETS], *foreign_list;
static rec outside; /* the key values and handlers of code outside any task */

static unsigned ptr_hash(const void *p) { return (unsigned)(((uintptr_t)p >> 4) % BUCKETS); }

static void reg(rec *r) {
  unsigned h = ptr_hash(r), i = r->task_id % BUCKETS;
  r->by_ptr = by_ptr[h];
  by_ptr[h] = r;
  r->by_id = by_id[i];
  by_id[i] = r;
}

static void unreg(rec *r) {
  rec **p;
  for (p = &by_ptr[ptr_hash(r)]; *p; p = &(*p)->by_ptr)
    if (*p == r) { *p = r->by_ptr; break; }
  for (p = &by_id[r->task_id % BUCKETS]; *p; p = &(*p)->by_id)
    if (*p == r) { *p = r->by_id; break; }
}

/* The live record at address p (a pthread_t), or NULL. */
static rec *rec_of(pthread_t th) {
  for (rec *r = by_ptr[ptr_hash(th)]; r; r = r->by_ptr)
    if ((void *)r == (void *)th) return r;
  return NULL;
}


static void rec_free(rec *r) {
  unreg(r);
  free(r->keys);
  free(r);
}

/* Frees the foreign records of tasks that have ended. */
static void sweep_foreign(void) {
  for (rec **p = &foreign_list; *p;) {
    rec *r = *p;
    if (wa__task_from_handle(r->task)) { p = &r->foreign_next; continue; }
    *p = r->foreign_next;
    rec_free(r);
  }
}

/* The calling task's record (created for a foreign task if create), or
 * &outside outside any task; NULL only on out of memory or !create. */
static rec *self(int create) {
  rec *r;
  if (!wa__in_task()) return &outside;
  for (r = by_id[wa__cur->id % BUCKETS]; r; r = r->by_id)
    if (r->task_id == wa__cur->id && !r->done) return r;
  if (!create) return NULL;
  sweep_foreign();
  if (!(r = calloc(1, sizeof *r))) return NULL;
  r->foreign = 1;
  r->task = wa_current();
  r->task_id = wa__cur->id;
  r->foreign_next = foreign_list;
  foreign_list = r;
  reg(r);
  return r;
}

/* The keys in use and their destructors. */
static unsigned char key_used[PTHREAD_KEYS_MAX];
static void (*dtors[PTHREAD_KEYS_MAX])(void *);

/* ---- waiting ------------------------------------------------------------------ */

/* The innermost expired timeout scope of t, to leave pending again. */
static wa_timeout *expired_scope(wa__task *t) {
  for (wa_timeout *to = t->timeouts; to; to = to->outer)
    if (to->expired) return to;
  return NULL;
}

static int cancel_enabled(void) {
  rec *r = self(0);
  return !r || !r->cancel_off;
}

/* Waits on q until a waker hands the caller what it waits for (WOKEN) or
 * deadline (wa__timer units, WA__NEVER for none) passes (0). At a cancellation
 * point (cancel_point) a cancellation (unless the thread disabled it) or an
 * expired timeout scope ends the wait: WA_ECANCELED / WA_ETIMEDOUT. Any
 * other wait goes on through them and leaves them pending when it ends (a
 * cancellation the thread has disabled waits in its record). WA_ENOMEM if
 * the timer could not be armed. In a task only. */
static int pwait(wa__waitq *q, const char *what, const void *obj, int64_t deadline, int cancel_point) {
  wa__task *t = wa__cur;
  int rc, kept_cancel = 0, kept_timeout = 0;
  for (;;) {
    if (!(rc = wa__await_begin())) {
      wa__wait_node w;
      if (deadline != WA__NEVER && (rc = wa__timer_start(&t->sleep_timer, deadline))) break;
      wa__wait_on(&w, q, NULL);
      rc = wa__wait(what, obj);
      if (rc >= 0) break;
    }
    if (rc == WA_ECANCELED && !(cancel_point && cancel_enabled())) kept_cancel = 1;
    else if (rc == WA_ETIMEDOUT && !cancel_point) kept_timeout = 1;
    else break;
  }
  if (kept_cancel) {
    rec *r = self(0);
    if (r && r->cancel_off) r->cancel_deferred = 1;
    else t->cancel_pending = 1;
  }
  if (kept_timeout && !t->timeout_pending) t->timeout_pending = expired_scope(t);
  return rc;
}

/* The deadline (wa__timer units) of an absolute time on clock clk: 0 with
 * *deadline set, EINVAL for an invalid time, ETIMEDOUT if it has passed. */
static int deadline_of(clockid_t clk, const struct timespec *at, int64_t *deadline) {
  int64_t us;
  int rc = wa__us_until(clk, at, &us);
  if (rc) return rc;
  if (us == 0) return ETIMEDOUT;
  *deadline = wa__deadline_in(us);
  return 0;
}

/* ---- threads -------------------------------------------------------------------- */

int __real_pthread_create(pthread_t *th, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
int __real_pthread_join(pthread_t th, void **ret);
_Noreturn void __real_pthread_exit(void *ret);
pthread_t __real_pthread_self(void);

/* Threads of pthread_create not yet ended, and the tasks that wait in
 * pthread_exit for none to be left. */
static long live_threads;
static wa__waitq no_threads;

/* Runs (and pops) r's cleanup handlers, the innermost first. */
static void run_cleanup(rec *r) {
  while (r->cleanup) {
    struct __ptcb *cb = r->cleanup;
    r->cleanup = cb->__next;
    cb->__f(cb->__x);
  }
}

/* Runs the destructors of r's non-NULL key values, as POSIX has it at a
 * thread's end (rounds while they set values again). */
static void run_dtors(rec *r) {
  for (int round = 0; r->keys && round < PTHREAD_DESTRUCTOR_ITERATIONS; round++) {
    int ran = 0;
    for (int k = 0; k < PTHREAD_KEYS_MAX; k++) {
      void *v = r->keys[k];
      if (!v || !dtors[k]) continue;
      r->keys[k] = NULL;
      dtors[k](v);
      ran = 1;
    }
    if (!ran) break;
  }
}

/* The end of a thread: its key destructors, then its joiner (or, detached,
 * its record goes). */
static void thread_finish(rec *r, void *ret) {
  r->ret = ret;
  run_dtors(r);
  r->done = 1;
  wa__waitq_wake_all(&r->joiners, WOKEN);
  if (--live_threads == 0) wa__waitq_wake_all(&no_threads, WOKEN);
  if (r->detached) rec_free(r);
}

static int thread_main(void *p) {
  rec *r = p;
  thread_finish(r, r->start(r->arg));
  return 0;
}

int __wrap_pthread_create(pthread_t *th, const pthread_attr_t *a, void *(*fn)(void *), void *arg) {
  wa_task_opts opts = {"pthread", 0};
  wa_task *task;
  wa__task *t;
  rec *r;
  if (!wa__in_task()) return __real_pthread_create(th, a, fn, arg);
  if (!th || !fn) return EINVAL;
  /* musl's thrd_create passes this marker (__ATTRP_C11_THREAD) for "no
   * attributes": never a pthread_attr_t to read. */
  if (a == (const pthread_attr_t *)(uintptr_t)-1) a = NULL;
  if (a) opts.stack_size = ATTR(a)->stack_size;
  if (!(r = calloc(1, sizeof *r))) return EAGAIN;
  r->start = fn;
  r->arg = arg;
  if (!(task = wa_spawn_opts(thread_main, r, &opts))) {
    free(r);
    return EAGAIN;
  }
  t = wa__task_from_handle(task);
  snprintf(t->name, sizeof t->name, "pthread %u", (unsigned)t->id);
  r->task = task;
  r->task_id = t->id;
  r->detached = a && ATTR(a)->detached;
  reg(r);
  live_threads++;
  wa_detach(task); /* the record, not the task, is what pthread_join awaits */
  *th = (pthread_t)(void *)r;
  return 0;
}

/* Ends the calling task where it stands (wa__task_exit, status 0): its
 * stack goes as if its function had returned. Aborts where no task can
 * end (in a call the host made from inside a task). */
static _Noreturn void task_exit(void) {
  (void)wa__task_exit(0);
  wa__report("pthread_exit: called where no task can end (a call into C from inside a task's run)");
  abort();
}

static _Noreturn void thread_exit(rec *r, void *ret) {
  run_cleanup(r);
  thread_finish(r, ret);
  task_exit();
}

/* In a thread of pthread_create: its end. In the main task (main,
 * wa_main): as POSIX has it for the initial thread, its cleanup handlers
 * and key destructors run, and the program ends (exit(0), the stub's)
 * once every thread of pthread_create has ended. In any other task (a
 * wa_spawn task, an export called from JS): its handlers and destructors
 * run and that task ends, with status 0. Outside a task: the stub. */
_Noreturn void __wrap_pthread_exit(void *ret) {
  rec *r = self(0);
  if (r && r != &outside && !r->foreign) thread_exit(r, ret);
  if (r && r != &outside) {
    run_cleanup(r);
    run_dtors(r);
  }
  if (wa__in_task() && !wa__cur->is_main) task_exit();
  while (wa__in_task() && live_threads > 0) (void)pwait(&no_threads, "pthread_exit", NULL, WA__NEVER, 0);
  __real_pthread_exit(ret);
}

/* After a cancellation point returned WA_ECANCELED: a thread of
 * pthread_create exits; any other task gets ECANCELED. */
static int act_on_cancel(void) {
  rec *r = self(0);
  if (r && r != &outside && !r->foreign) thread_exit(r, PTHREAD_CANCELED);
  return ECANCELED;
}

/* The POSIX code of a wait that ended with rc (pwait). */
static int code_of(int rc) {
  if (rc == WA_ECANCELED) return act_on_cancel();
  if (rc == WA_ETIMEDOUT || rc == 0) return ETIMEDOUT;
  if (rc == WA_ENOMEM) return ENOMEM;
  return rc == WOKEN ? 0 : EINVAL;
}

int __wrap_pthread_join(pthread_t th, void **ret) {
  rec *r;
  int rc;
  if (!wa__in_task()) return __real_pthread_join(th, ret);
  if (!(r = rec_of(th)) || r->foreign) return ESRCH;
  if (r->detached || r->joined) return EINVAL;
  if (r->task_id == wa__cur->id) return EDEADLK;
  r->joined = 1;
  while (!r->done) {
    if ((rc = pwait(&r->joiners, "pthread_join", r, WA__NEVER, 1)) != WOKEN) {
      r->joined = 0; /* POSIX: a cancelled join leaves the thread joinable */
      return code_of(rc);
    }
  }
  if (ret) *ret = r->ret;
  rec_free(r);
  return 0;
}

int __wrap_pthread_detach(pthread_t th) {
  rec *r = rec_of(th);
  if (!r || r->foreign) return ESRCH;
  if (r->detached || r->joined) return EINVAL;
  if (r->done) rec_free(r);
  else r->detached = 1;
  return 0;
}

pthread_t __wrap_pthread_self(void) {
  rec *r = self(1);
  if (!r || r == &outside) return __real_pthread_self();
  return (pthread_t)(void *)r;
}

int __wrap_pthread_equal(pthread_t a, pthread_t b) { return a == b; }

/* A thread of pthread_create that has not started yet gets the
 * cancellation pending, as POSIX has it: it runs up to its first
 * cancellation point and ends there (wa_cancel would end its task before
 * it ran, and its record, never finished, would keep joiners and
 * pthread_exit in main waiting for good). */
int __wrap_pthread_cancel(pthread_t th) {
  rec *r = rec_of(th);
  wa__task *t;
  if (!r) return ESRCH;
  if (r->done) return 0;
  t = wa__task_from_handle(r->task);
  if (t && t->state == WA__NEW && !r->foreign) t->cancel_pending = 1;
  else wa_cancel(r->task);
  return 0;
}

void __wrap_pthread_testcancel(void) {
  if (wa__in_task() && wa__cur->cancel_pending && cancel_enabled()) {
    wa__cur->cancel_pending = 0;
    (void)act_on_cancel();
    wa__cur->cancel_pending = 1; /* a foreign task: its next await reports it */
  }
}

int __wrap_pthread_setcancelstate(int state, int *old) {
  rec *r;
  if (state != PTHREAD_CANCEL_ENABLE && state != PTHREAD_CANCEL_DISABLE) return EINVAL;
  if (!(r = self(1))) return ENOMEM;
  if (old) *old = r->cancel_off ? PTHREAD_CANCEL_DISABLE : PTHREAD_CANCEL_ENABLE;
  r->cancel_off = state == PTHREAD_CANCEL_DISABLE;
  if (!r->cancel_off && r->cancel_deferred && wa__in_task()) {
    r->cancel_deferred = 0;
    wa__cur->cancel_pending = 1;
  }
  return 0;
}

/* Only deferred cancellation exists (at the cancellation points). */
int __wrap_pthread_setcanceltype(int type, int *old) {
  if (old) *old = PTHREAD_CANCEL_DEFERRED;
  return type == PTHREAD_CANCEL_DEFERRED ? 0 : type == PTHREAD_CANCEL_ASYNCHRONOUS ? ENOTSUP : EINVAL;
}

void __wrap__pthread_cleanup_push(struct __ptcb *cb, void (*f)(void *), void *x) {
  rec *r = self(1);
  if (!r) r = &outside;
  cb->__f = f;
  cb->__x = x;
  cb->__next = r->cleanup;
  r->cleanup = cb;
}

void __wrap__pthread_cleanup_pop(struct __ptcb *cb, int run) {
  rec *r = self(1);
  if (!r) r = &outside;
  if (r->cleanup == cb) r->cleanup = cb->__next;
  if (run) cb->__f(cb->__x);
}

int __wrap_pthread_setname_np(pthread_t th, const char *name) {
  rec *r = rec_of(th);
  wa__task *t;
  if (th == __wrap_pthread_self()) r = self(1);
  if (!r || !name) return ESRCH;
  if (strlen(name) > 15) return ERANGE;
  if (!(t = wa__task_from_handle(r->task))) return ESRCH;
  snprintf(t->name, sizeof t->name, "%s", name);
  return 0;
}

int __wrap_pthread_getname_np(pthread_t th, char *buf, size_t len) {
  rec *r = rec_of(th);
  wa__task *t;
  if (!r || !(t = wa__task_from_handle(r->task))) return ESRCH;
  if (strlen(t->name) >= len) return ERANGE;
  memcpy(buf, t->name, strlen(t->name) + 1);
  return 0;
}

/* ---- thread attributes -------------------------------------------------------------- */

int __wrap_pthread_attr_init(pthread_attr_t *a) {
  memset(a, 0, sizeof *a);
  return 0;
}
int __wrap_pthread_attr_destroy(pthread_attr_t *a) { (void)a; return 0; }
/* The task's stack_size (0 in a fresh attr: the program's default). */
int __wrap_pthread_attr_setstacksize(pthread_attr_t *a, size_t n) {
  if (n < PTHREAD_STACK_MIN || n < WA_STACK_MIN || n > WA_STACK_MAX) return EINVAL;
  ATTR(a)->stack_size = n;
  return 0;
}
int __wrap_pthread_attr_getstacksize(const pthread_attr_t *a, size_t *n) {
  *n = ATTR(a)->stack_size ? ATTR(a)->stack_size : wa__stack_default;
  return 0;
}
int __wrap_pthread_attr_setdetachstate(pthread_attr_t *a, int s) {
  if (s != PTHREAD_CREATE_DETACHED && s != PTHREAD_CREATE_JOINABLE) return EINVAL;
  ATTR(a)->detached = s == PTHREAD_CREATE_DETACHED;
  return 0;
}
int __wrap_pthread_attr_getdetachstate(const pthread_attr_t *a, int *s) {
  *s = ATTR(a)->detached ? PTHREAD_CREATE_DETACHED : PTHREAD_CREATE_JOINABLE;
  return 0;
}

/* ---- once and keys ----------------------------------------------------------------- */

/* pthread_once_t: 0 never run, RUNNING, or DONE (the stub's own mark). */
#define ONCE_RUNNING 1
#define ONCE_DONE 0x13579BDF
static wa__waitq once_q; /* every task waiting for some once to finish */

int __wrap_pthread_once(pthread_once_t *o, void (*init)(void)) {
  while (*o == ONCE_RUNNING && wa__in_task()) (void)pwait(&once_q, "pthread_once", o, WA__NEVER, 0);
  if (*o == ONCE_DONE || *o == ONCE_RUNNING) return 0;
  *o = ONCE_RUNNING;
  init();
  *o = ONCE_DONE;
  wa__waitq_wake_all(&once_q, WOKEN);
  return 0;
}


int __wrap_pthread_key_create(pthread_key_t *k, void (*dtor)(void *)) {
  for (unsigned i = 0; i < PTHREAD_KEYS_MAX; i++) {
    if (key_used[i]) continue;
    key_used[i] = 1;
    dtors[i] = dtor;
    /* A new key reads NULL in every thread. */
    for (unsigned b = 0; b < BUCKETS; b++)
      for (rec *r = by_ptr[b]; r; r = r->by_ptr)
        if (r->keys) r->keys[i] = NULL;
    if (outside.keys) outside.keys[i] = NULL;
    *k = i;
    return 0;
  }
  return EAGAIN;
}

int __wrap_pthread_key_delete(pthread_key_t k) {
  if (k >= PTHREAD_KEYS_MAX || !key_used[k]) return EINVAL;
  key_used[k] = 0;
  dtors[k] = NULL;
  return 0;
}

void *__wrap_pthread_getspecific(pthread_key_t k) {
  rec *r = self(0);
  if (k >= PTHREAD_KEYS_MAX || !r || !r->keys) return NULL;
  return r->keys[k];
}

int __wrap_pthread_setspecific(pthread_key_t k, const void *v) {
  rec *r;
  if (k >= PTHREAD_KEYS_MAX || !key_used[k]) return EINVAL;
  if (!(r = self(1))) return ENOMEM;
  if (!r->keys && !(r->keys = calloc(PTHREAD_KEYS_MAX, sizeof *r->keys))) return ENOMEM;
  r->keys[k] = (void *)v;
  return 0;
}

/* ---- mutexes --------------------------------------------------------------------------- */


int __wrap_pthread_mutexattr_init(pthread_mutexattr_t *a) { a->__attr = 0; return 0; }
int __wrap_pthread_mutexattr_destroy(pthread_mutexattr_t *a) { (void)a; return 0; }
int __wrap_pthread_mutexattr_settype(pthread_mutexattr_t *a, int type) {
  if ((unsigned)type > 2) return EINVAL;
  a->__attr = (a->__attr & ~3u) | (unsigned)type;
  return 0;
}
int __wrap_pthread_mutexattr_gettype(const pthread_mutexattr_t *a, int *type) {
  *type = (int)(a->__attr & 3);
  return 0;
}

int __wrap_pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a) {
  memset(m, 0, sizeof *m);
  if (a) MUTEX(m)->type = (int)(a->__attr & 3);
  return 0;
}
int __wrap_pthread_mutex_destroy(pthread_mutex_t *m) { return MUTEX(m)->owner ? EBUSY : 0; }

/* 0 if the caller now holds m (or, recursive, holds it once more),
 * EBUSY if another task does, EDEADLK / EAGAIN for a relock. */
static int mutex_try(pmutex *m) {
  if (!m->owner) {
    m->owner = wa__cur->id;
    m->count = 1;
    return 0;
  }
  if (m->owner != wa__cur->id) return EBUSY;
  if (m->type != PTHREAD_MUTEX_RECURSIVE) return EDEADLK;
  if (m->count == UINT_MAX) return EAGAIN;
  m->count++;
  return 0;
}

/* A try-lock's answer: POSIX trylocks report a relock by the owner as EBUSY
 * (the lock is busy), where the blocking calls say EDEADLK. */
static int as_trylock(int rc) { return rc == EDEADLK ? EBUSY : rc; }

/* Not a cancellation point: waits on through interruptions. The unlocker
 * hands m to the oldest waiter (FIFO), so a wake means the caller holds it. */
static int mutex_lock(pmutex *m, int64_t deadline) {
  int rc = mutex_try(m);
  if (rc != EBUSY) return rc;
  rc = pwait(&m->q, "pthread_mutex", m, deadline, 0);
  if (rc == WOKEN) return 0;
  return rc == 0 ? ETIMEDOUT : ENOMEM;
}

int __wrap_pthread_mutex_lock(pthread_mutex_t *m) {
  if (!wa__in_task()) return 0;
  return mutex_lock(MUTEX(m), WA__NEVER);
}

int __wrap_pthread_mutex_trylock(pthread_mutex_t *m) {
  return wa__in_task() ? as_trylock(mutex_try(MUTEX(m))) : 0;
}

int __wrap_pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *at) {
  int64_t deadline;
  int rc;
  if (!wa__in_task()) return 0;
  if ((rc = mutex_try(MUTEX(m))) != EBUSY) return rc;
  if ((rc = deadline_of(CLOCK_REALTIME, at, &deadline))) return rc;
  return mutex_lock(MUTEX(m), deadline);
}

/* Releases m for good (whatever its count) to the oldest waiter. */
static void mutex_release(pmutex *m) {
  wa__wait_node *w = wa__waitq_pop(&m->q);
  m->owner = w ? w->task->id : 0;
  m->count = w ? 1 : 0;
  if (w) wa__wake_node(w, WOKEN);
}

/* EPERM unless the caller holds m (a normal mutex held by nobody unlocks
 * quietly, as in glibc). */
int __wrap_pthread_mutex_unlock(pthread_mutex_t *m) {
  pmutex *p = MUTEX(m);
  if (!wa__in_task()) return 0;
  if (p->owner != wa__cur->id) return p->type == PTHREAD_MUTEX_NORMAL && !p->owner ? 0 : EPERM;
  if (--p->count == 0) mutex_release(p);
  return 0;
}

/* ---- condition variables ------------------------------------------------------------- */


int __wrap_pthread_condattr_init(pthread_condattr_t *a) { a->__attr = CLOCK_REALTIME; return 0; }
int __wrap_pthread_condattr_destroy(pthread_condattr_t *a) { (void)a; return 0; }
int __wrap_pthread_condattr_setclock(pthread_condattr_t *a, clockid_t clk) {
  if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC) return EINVAL;
  a->__attr = (unsigned)clk;
  return 0;
}
int __wrap_pthread_condattr_getclock(const pthread_condattr_t *a, clockid_t *clk) {
  *clk = (clockid_t)a->__attr;
  return 0;
}

int __wrap_pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a) {
  memset(c, 0, sizeof *c);
  COND(c)->clock = a ? (int)a->__attr : CLOCK_REALTIME;
  return 0;
}
int __wrap_pthread_cond_destroy(pthread_cond_t *c) { return wa__waitq_empty(&COND(c)->q) ? 0 : EBUSY; }
int __wrap_pthread_cond_signal(pthread_cond_t *c) { wa__waitq_wake_one(&COND(c)->q, WOKEN); return 0; }
int __wrap_pthread_cond_broadcast(pthread_cond_t *c) { wa__waitq_wake_all(&COND(c)->q, WOKEN); return 0; }

/* A cancellation point: m is held again (at its count) however it ends. */
static int cond_wait(pcond *c, pmutex *m, int64_t deadline) {
  unsigned count = m->count;
  int rc, code;
  if (m->owner != wa__cur->id) return EPERM;
  mutex_release(m);
  rc = pwait(&c->q, "pthread_cond", c, deadline, 1);
  (void)mutex_lock(m, WA__NEVER);
  m->count = count;
  code = code_of(rc);
  return code;
}

int __wrap_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) {
  if (!wa__in_task()) return 0;
  return cond_wait(COND(c), MUTEX(m), WA__NEVER);
}

int __wrap_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *at) {
  int64_t deadline;
  int rc;
  if (!wa__in_task()) return 0;
  if (MUTEX(m)->owner != wa__cur->id) return EPERM;
  if ((rc = deadline_of(COND(c)->clock == CLOCK_MONOTONIC ? CLOCK_MONOTONIC : CLOCK_REALTIME, at, &deadline)))
    return rc;
  return cond_wait(COND(c), MUTEX(m), deadline);
}

/* ---- read-write locks (writers first: a waiting writer holds off new readers) -- */


int __wrap_pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *a) {
  (void)a;
  memset(l, 0, sizeof *l);
  return 0;
}
int __wrap_pthread_rwlock_destroy(pthread_rwlock_t *l) {
  return RWLOCK(l)->readers || RWLOCK(l)->writer ? EBUSY : 0;
}

static int rd_try(prwlock *l) {
  if (l->writer == wa__cur->id) return EDEADLK;
  if (l->writer || !wa__waitq_empty(&l->wq)) return EBUSY;
  l->readers++;
  return 0;
}
static int wr_try(prwlock *l) {
  if (l->writer == wa__cur->id) return EDEADLK;
  if (l->writer || l->readers) return EBUSY;
  l->writer = wa__cur->id;
  return 0;
}

/* The unlocker counts the woken reader in, or makes the woken writer the
 * writer, before it wakes it. */
static int rw_lock(prwlock *l, int write, int64_t deadline) {
  int rc = write ? wr_try(l) : rd_try(l);
  if (rc != EBUSY) return rc;
  rc = pwait(write ? &l->wq : &l->rq, write ? "pthread_rwlock write" : "pthread_rwlock read", l, deadline, 0);
  if (rc == WOKEN) return 0;
  return rc == 0 ? ETIMEDOUT : ENOMEM;
}

static int rw_timed(pthread_rwlock_t *l, int write, const struct timespec *at) {
  int64_t deadline;
  int rc = write ? wr_try(RWLOCK(l)) : rd_try(RWLOCK(l));
  if (rc != EBUSY) return rc;
  if ((rc = deadline_of(CLOCK_REALTIME, at, &deadline))) return rc;
  return rw_lock(RWLOCK(l), write, deadline);
}

int __wrap_pthread_rwlock_rdlock(pthread_rwlock_t *l) {
  return wa__in_task() ? rw_lock(RWLOCK(l), 0, WA__NEVER) : 0;
}
int __wrap_pthread_rwlock_wrlock(pthread_rwlock_t *l) {
  return wa__in_task() ? rw_lock(RWLOCK(l), 1, WA__NEVER) : 0;
}
int __wrap_pthread_rwlock_tryrdlock(pthread_rwlock_t *l) {
  return wa__in_task() ? as_trylock(rd_try(RWLOCK(l))) : 0;
}
int __wrap_pthread_rwlock_trywrlock(pthread_rwlock_t *l) {
  return wa__in_task() ? as_trylock(wr_try(RWLOCK(l))) : 0;
}
int __wrap_pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *at) {
  return wa__in_task() ? rw_timed(l, 0, at) : 0;
}
int __wrap_pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *at) {
  return wa__in_task() ? rw_timed(l, 1, at) : 0;
}

int __wrap_pthread_rwlock_unlock(pthread_rwlock_t *lk) {
  prwlock *l = RWLOCK(lk);
  wa__wait_node *w;
  if (!wa__in_task()) return 0;
  if (l->writer == wa__cur->id) l->writer = 0;
  else if (l->readers) l->readers--;
  else return EPERM;
  if (l->writer || l->readers) return 0;
  if ((w = wa__waitq_pop(&l->wq))) {
    l->writer = w->task->id;
    wa__wake_node(w, WOKEN);
    return 0;
  }
  while ((w = wa__waitq_pop(&l->rq))) {
    l->readers++;
    wa__wake_node(w, WOKEN);
  }
  return 0;
}

/* ---- barriers ------------------------------------------------------------------------ */


int __wrap_pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *a, unsigned n) {
  (void)a;
  if (n == 0) return EINVAL;
  memset(b, 0, sizeof *b);
  BARRIER(b)->count = n;
  return 0;
}
int __wrap_pthread_barrier_destroy(pthread_barrier_t *b) { return BARRIER(b)->waiting ? EBUSY : 0; }

/* Not a cancellation point. The last arrival returns
 * PTHREAD_BARRIER_SERIAL_THREAD and wakes the others. */
int __wrap_pthread_barrier_wait(pthread_barrier_t *bar) {
  pbarrier *b = BARRIER(bar);
  unsigned gen = b->gen;
  if (!wa__in_task()) return 0;
  if (++b->waiting >= b->count) {
    b->waiting = 0;
    b->gen++;
    wa__waitq_wake_all(&b->q, WOKEN);
    return PTHREAD_BARRIER_SERIAL_THREAD;
  }
  while (b->gen == gen)
    if (pwait(&b->q, "pthread_barrier", b, WA__NEVER, 0) == WA_ENOMEM) return ENOMEM;
  return 0;
}

/* ---- unnamed semaphores (-1 and errno, as POSIX has them) -------------------------- */


static int outside_sem(sem_t *sem);

int __wrap_sem_init(sem_t *s, int pshared, unsigned value) {
  (void)pshared;
  if (value > SEM_VALUE_MAX) {
    errno = EINVAL;
    return -1;
  }
  memset(s, 0, sizeof *s);
  SEM(s)->value = (int)value;
  return 0;
}
int __wrap_sem_destroy(sem_t *s) { (void)s; return 0; }
int __wrap_sem_getvalue(sem_t *s, int *v) { *v = SEM(s)->value; return 0; }

/* Hands the unit to the oldest waiter, if any. */
int __wrap_sem_post(sem_t *sem) {
  psem *s = SEM(sem);
  if (wa__waitq_wake_one(&s->q, WOKEN)) return 0;
  if (s->value == SEM_VALUE_MAX) {
    errno = EOVERFLOW;
    return -1;
  }
  s->value++;
  return 0;
}

int __wrap_sem_trywait(sem_t *sem) {
  psem *s = SEM(sem);
  if (!wa__in_task()) return outside_sem(sem);
  if (s->value > 0) {
    s->value--;
    return 0;
  }
  errno = EAGAIN;
  return -1;
}

/* Outside a task: a unit if there is one, else 0 all the same (the stub's
 * answer: there is nobody to wait for). */
static int outside_sem(sem_t *sem) {
  if (SEM(sem)->value > 0) SEM(sem)->value--;
  return 0;
}

/* A cancellation point. */
static int sem_wait_until(psem *s, int64_t deadline) {
  int rc;
  if (s->value > 0 && wa__waitq_empty(&s->q)) {
    s->value--;
    return 0;
  }
  if ((rc = code_of(pwait(&s->q, "sem_wait", s, deadline, 1)))) {
    errno = rc;
    return -1;
  }
  return 0;
}

int __wrap_sem_wait(sem_t *s) {
  if (!wa__in_task()) return outside_sem(s);
  return sem_wait_until(SEM(s), WA__NEVER);
}

int __wrap_sem_timedwait(sem_t *s, const struct timespec *at) {
  int64_t deadline;
  int rc;
  if (!wa__in_task()) return outside_sem(s);
  if (SEM(s)->value > 0 && wa__waitq_empty(&SEM(s)->q)) return sem_wait_until(SEM(s), WA__NEVER);
  if ((rc = deadline_of(CLOCK_REALTIME, at, &deadline))) {
    errno = rc;
    return -1;
  }
  return sem_wait_until(SEM(s), deadline);
}
