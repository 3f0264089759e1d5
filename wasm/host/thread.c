/* thread.c — wa_to_thread: CPU work on a pool of real threads (wasm only;
 * wasm/host/js/thread.js is its JS half). The contract is in wasync.h.
 *
 * Built without -pthread (every program not built with `wasync build
 * --threads`), wa_to_thread is WA_ENOTSUP and nothing else is here.
 *
 * With -pthread (shared memory, __EMSCRIPTEN_PTHREADS__):
 *  - The pool is N detached pthreads (Emscripten Workers), started by the
 *    first call (N: wa__host_thread_count(), the host's choice: load()'s
 *    threads option, --threads=N, or the machine's parallelism). The
 *    Workers themselves are made and loaded with the module
 *    (PTHREAD_POOL_SIZE, js/cli/plan.mjs), so starting a thread is a message.
 *  - A job is a malloc'd record: the calling task queues it (FIFO, under a
 *    real pthread mutex, held for a few loads and stores) and parks on it.
 *    A pool thread takes it, runs fn(arg) with no task (wa__cur is per
 *    thread: NULL there), stores the status and sends the record back to the
 *    event-loop thread through Emscripten's queue of calls to the main
 *    runtime thread. Nothing on a pool thread touches scheduler state.
 *  - On the event-loop thread the record goes through the host
 *    (wa__host_thread_done), which calls wa__on_thread_done from a fresh
 *    microtask: Emscripten may run the queued call inside a wait of the main
 *    thread (a contended lock in malloc), in the middle of the scheduler's
 *    own work, where a wake is not safe.
 *  - wa__on_thread_done wakes the waiting task with the status and frees
 *    the record. A task cancelled (or timed out) while it waits leaves at
 *    once: the wait's hook clears the record's waiter, so the status is
 *    dropped when it comes and the record is freed all the same. Both run
 *    on the event-loop thread: the record needs no lock.
 *  - While a job is out, wa__host_thread_busy keeps the host's event loop
 *    alive (Node exits when nothing else is pending; idle pool threads
 *    never hold it). */
#include <stdint.h>
#include <stdlib.h>
#include "internal.h"
#include "host.h"

#ifndef __EMSCRIPTEN_PTHREADS__

int wa_to_thread(wa_fn fn, void *arg) {
  (void)fn;
  (void)arg;
  return WA_ENOTSUP;
}

#else

#include <pthread.h>
#include <emscripten/threading.h>

typedef struct wa__job {
  struct wa__job *next; /* in the queue */
  wa_fn fn;
  void *arg;
  int status;           /* fn's, set by the pool thread */
  wa__task *waiter;     /* NULL once the waiter left (cancelled) */
} wa__job;

static const char to_thread_what[] = "to_thread";

/* The queue, shared by every thread: only under `lock`. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queued = PTHREAD_COND_INITIALIZER;
static wa__job *head, *tail;

/* The event-loop thread's own state. */
static int pool_size;          /* threads started, 0 until the first call */
static wa__waitq waiters;      /* tasks in wa_to_thread, for the dump */

/* Runs on the event-loop thread, in Emscripten's processing of queued
 * calls: hands the record to the host (see the top of this file). */
static void finished_on_main(wa__job *j) { wa__host_thread_done(j); }

static void *pool_main(void *unused) {
  (void)unused;
  for (;;) {
    wa__job *j;
    pthread_mutex_lock(&lock);
    while (!head) pthread_cond_wait(&queued, &lock);
    j = head;
    head = j->next;
    if (!head) tail = NULL;
    pthread_mutex_unlock(&lock);
    j->status = j->fn(j->arg);
    emscripten_async_run_in_main_runtime_thread(EM_FUNC_SIG_VI, finished_on_main, j);
  }
  return NULL;
}

/* Under Node an idle pool Worker must not keep the process alive (the host
 * unrefs every one on each call of wa__host_thread_busy): from the start,
 * before any job, too. */
__attribute__((constructor)) static void unref_workers(void) { wa__host_thread_busy(0); }

/* Starts the pool: 0, or WA_ENOMEM if not one thread could start. */
static int pool_start(void) {
  int n = wa__host_thread_count(), i;
  if (n < 1) n = 1;
  for (i = 0; i < n; i++) {
    pthread_t th;
    if (pthread_create(&th, NULL, pool_main, NULL) != 0) break;
    pthread_detach(th);
    pool_size++;
  }
  return pool_size > 0 ? 0 : WA_ENOMEM;
}

/* The wait's hook (internal.h): the caller leaves; the job runs on and its
 * result is dropped when it comes back. */
static void abandon(wa__task *t) { ((wa__job *)t->wait_obj)->waiter = NULL; }

int wa_to_thread(wa_fn fn, void *arg) {
  wa__task *t = wa__cur;
  wa__wait_node w;
  wa__job *j;
  int rc;
  if (!fn) return WA_EINVAL;
  if ((rc = wa__await_begin()) != 0) return rc;
  if (!pool_size && (rc = pool_start()) != 0) return rc;
  if (!(j = malloc(sizeof *j))) return WA_ENOMEM;
  j->next = NULL;
  j->fn = fn;
  j->arg = arg;
  j->status = 0;
  j->waiter = t;
  wa__host_thread_busy(1);
  pthread_mutex_lock(&lock);
  if (tail) tail->next = j; else head = j;
  tail = j;
  pthread_cond_signal(&queued);
  pthread_mutex_unlock(&lock);
  wa__wait_on(&w, &waiters, j);
  t->wait_cancel = abandon;
  return wa__wait(to_thread_what, j);
}

void wa__on_thread_done(struct wa__job *j) {
  wa__task *t = j->waiter;
  wa__host_thread_busy(-1);
  if (t) wa__wake(t, j->status);
  free(j);
}

#endif
