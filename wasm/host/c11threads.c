/* c11threads.c — C11 <threads.h> as wasync tasks (wasm only, no -pthread).
 *
 * musl implements <threads.h> on its internal pthread functions
 * (__pthread_join, __pthread_cond_timedwait, a CAS on the mutex word…),
 * which the link's wraps of the public pthread names (js/cli/build.mjs:
 * PTHREAD_WRAPS, wasm/host/pthread.c) never see: thrd_join would be the
 * stub (it fails), mtx_lock a lock no task ever waits for. So the link
 * wraps the C11 names too, and each one here is its pthread counterpart in
 * pthread.c: a thrd_t is a pthread_t, an mtx_t a pthread_mutex_t (same
 * size), a cnd_t a pthread_cond_t, a tss_t a pthread_key_t, a once_flag a
 * pthread_once_t. thrd_create needs no wrap: musl's calls pthread_create
 * itself (with its C11 marker for the attributes, which pthread.c reads as
 * none). Blocking calls are await points of the calling task, as there
 * (thrd_sleep is nanosleep's: wasm/host/libc_sleep.c); outside a task they
 * do what those do there. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <threads.h>
#include <time.h>
#include "wasync.h"

_Static_assert(sizeof(mtx_t) >= sizeof(pthread_mutex_t), "mtx_t holds a pthread mutex");
_Static_assert(sizeof(cnd_t) >= sizeof(pthread_cond_t), "cnd_t holds a pthread condition variable");
_Static_assert(sizeof(tss_t) == sizeof(pthread_key_t), "tss_t is a pthread key");
_Static_assert(sizeof(once_flag) == sizeof(pthread_once_t), "once_flag is a pthread once");

/* pthread.c's wraps (the public names reach them through the link). */
int __wrap_pthread_join(pthread_t th, void **ret);
int __wrap_pthread_detach(pthread_t th);
_Noreturn void __wrap_pthread_exit(void *ret);
pthread_t __wrap_pthread_self(void);
int __wrap_pthread_mutexattr_init(pthread_mutexattr_t *a);
int __wrap_pthread_mutexattr_settype(pthread_mutexattr_t *a, int type);
int __wrap_pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a);
int __wrap_pthread_mutex_destroy(pthread_mutex_t *m);
int __wrap_pthread_mutex_lock(pthread_mutex_t *m);
int __wrap_pthread_mutex_trylock(pthread_mutex_t *m);
int __wrap_pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *at);
int __wrap_pthread_mutex_unlock(pthread_mutex_t *m);
int __wrap_pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a);
int __wrap_pthread_cond_destroy(pthread_cond_t *c);
int __wrap_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int __wrap_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *at);
int __wrap_pthread_cond_signal(pthread_cond_t *c);
int __wrap_pthread_cond_broadcast(pthread_cond_t *c);
int __wrap_pthread_once(pthread_once_t *o, void (*init)(void));
int __wrap_pthread_key_create(pthread_key_t *k, void (*dtor)(void *));
int __wrap_pthread_key_delete(pthread_key_t k);
void *__wrap_pthread_getspecific(pthread_key_t k);
int __wrap_pthread_setspecific(pthread_key_t k, const void *v);

/* The link's replacements (same contracts as <threads.h>). */
int __wrap_thrd_join(thrd_t t, int *res);
int __wrap_thrd_detach(thrd_t t);
_Noreturn void __wrap_thrd_exit(int res);
thrd_t __wrap_thrd_current(void);
void __wrap_thrd_yield(void);
int __wrap_thrd_sleep(const struct timespec *req, struct timespec *rem);
int __wrap_nanosleep(const struct timespec *req, struct timespec *rem); /* libc_sleep.c's */
int __wrap_mtx_init(mtx_t *m, int type);
void __wrap_mtx_destroy(mtx_t *m);
int __wrap_mtx_lock(mtx_t *m);
int __wrap_mtx_trylock(mtx_t *m);
int __wrap_mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict at);
int __wrap_mtx_unlock(mtx_t *m);
int __wrap_cnd_init(cnd_t *c);
void __wrap_cnd_destroy(cnd_t *c);
int __wrap_cnd_wait(cnd_t *c, mtx_t *m);
int __wrap_cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m, const struct timespec *restrict at);
int __wrap_cnd_signal(cnd_t *c);
int __wrap_cnd_broadcast(cnd_t *c);
void __wrap_call_once(once_flag *o, void (*init)(void));
int __wrap_tss_create(tss_t *k, tss_dtor_t dtor);
void __wrap_tss_delete(tss_t k);
void *__wrap_tss_get(tss_t k);
int __wrap_tss_set(tss_t k, void *v);

#define MUTEX(m) ((pthread_mutex_t *)(void *)(m))
#define COND(c) ((pthread_cond_t *)(void *)(c))

/* <threads.h>'s result for a pthread code. */
static int c11(int rc) {
  switch (rc) {
    case 0: return thrd_success;
    case EBUSY: return thrd_busy;
    case ETIMEDOUT: return thrd_timedout;
    case ENOMEM: case EAGAIN: return thrd_nomem;
    default: return thrd_error;
  }
}

int __wrap_thrd_join(thrd_t t, int *res) {
  void *ret = NULL;
  int rc = __wrap_pthread_join((pthread_t)t, &ret);
  if (rc) return thrd_error;
  if (res) *res = (int)(intptr_t)ret;
  return thrd_success;
}

int __wrap_thrd_detach(thrd_t t) { return c11(__wrap_pthread_detach((pthread_t)t)) == thrd_success ? thrd_success : thrd_error; }
_Noreturn void __wrap_thrd_exit(int res) { __wrap_pthread_exit((void *)(intptr_t)res); }
thrd_t __wrap_thrd_current(void) { return (thrd_t)__wrap_pthread_self(); }

/* A task lets the others run; outside one there is nothing to yield to. */
void __wrap_thrd_yield(void) { (void)wa_yield(); }

/* nanosleep (an await point in a task: libc_sleep.c), in C11's terms: 0,
 * -1 if interrupted (a cancel or an expired timeout scope), -2 on error. */
int __wrap_thrd_sleep(const struct timespec *req, struct timespec *rem) {
  if (__wrap_nanosleep(req, rem) == 0) return 0;
  return errno == EINTR ? -1 : -2;
}

int __wrap_mtx_init(mtx_t *m, int type) {
  pthread_mutexattr_t a;
  __wrap_pthread_mutexattr_init(&a);
  __wrap_pthread_mutexattr_settype(&a, (type & mtx_recursive) ? PTHREAD_MUTEX_RECURSIVE : PTHREAD_MUTEX_NORMAL);
  return c11(__wrap_pthread_mutex_init(MUTEX(m), &a));
}

void __wrap_mtx_destroy(mtx_t *m) { (void)__wrap_pthread_mutex_destroy(MUTEX(m)); }
int __wrap_mtx_lock(mtx_t *m) { return c11(__wrap_pthread_mutex_lock(MUTEX(m))); }
int __wrap_mtx_trylock(mtx_t *m) { return c11(__wrap_pthread_mutex_trylock(MUTEX(m))); }
int __wrap_mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict at) {
  return c11(__wrap_pthread_mutex_timedlock(MUTEX(m), at));
}
int __wrap_mtx_unlock(mtx_t *m) { return c11(__wrap_pthread_mutex_unlock(MUTEX(m))); }

int __wrap_cnd_init(cnd_t *c) { return c11(__wrap_pthread_cond_init(COND(c), NULL)); }
void __wrap_cnd_destroy(cnd_t *c) { (void)__wrap_pthread_cond_destroy(COND(c)); }
int __wrap_cnd_wait(cnd_t *c, mtx_t *m) { return c11(__wrap_pthread_cond_wait(COND(c), MUTEX(m))); }
int __wrap_cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m, const struct timespec *restrict at) {
  return c11(__wrap_pthread_cond_timedwait(COND(c), MUTEX(m), at));
}
int __wrap_cnd_signal(cnd_t *c) { return c11(__wrap_pthread_cond_signal(COND(c))); }
int __wrap_cnd_broadcast(cnd_t *c) { return c11(__wrap_pthread_cond_broadcast(COND(c))); }

void __wrap_call_once(once_flag *o, void (*init)(void)) { (void)__wrap_pthread_once((pthread_once_t *)o, init); }

int __wrap_tss_create(tss_t *k, tss_dtor_t dtor) { return c11(__wrap_pthread_key_create((pthread_key_t *)k, dtor)); }
void __wrap_tss_delete(tss_t k) { (void)__wrap_pthread_key_delete((pthread_key_t)k); }
void *__wrap_tss_get(tss_t k) { return __wrap_pthread_getspecific((pthread_key_t)k); }
int __wrap_tss_set(tss_t k, void *v) { return c11(__wrap_pthread_setspecific((pthread_key_t)k, v)); }
