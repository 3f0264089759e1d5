/* backend.h — stack switching, implemented once per platform:
 *   wasm/backend/asyncify.c  wasm: Binaryen Asyncify, scheduler loop in wasm
 *   wasm/backend/jspi.c      wasm: JS Promise Integration (--backend=jspi)
 *   src/native/backend.c    native: ucontext, for unit tests under ASan/UBSan
 * The core switches stacks only through these functions. A backend calls
 * back into the core only through internal.h, and only: a prepare
 * callback (wa_yield's, below); wa__unpark, wa__task_overflowed and
 * wa__report when a task's stack overflowed; wa__sched_abandon_current
 * when an exception escaped a task (the wasm backends' recovery); and, in
 * a backend that carries the tick itself (JSPI), wa__sched_next and
 * wa__sched_ran (below), reading wa__cur, wa__ready_head and wa__in_tick.
 * The native backend also walks the live tasks (wa__task_first) to name
 * the one whose guard page faulted. */
#ifndef WA_BACKEND_H
#define WA_BACKEND_H

#include <stddef.h>
#include "internal.h"

/* Allocates a context with a stack of stack_size bytes; NULL on ENOMEM.
 * The core allocates the task struct after it, so that (wasm, where the
 * heap grows upwards) a stack overflow cannot reach the struct. */
struct wa__ctx *wa__ctx_create(size_t stack_size);
/* Releases t->ctx. t must not be running. */
void wa__ctx_destroy(struct wa__task *t);
/* Readies t->ctx, of a task that will never run again, for a new task
 * with the same stack_size (the core's cache of finished tasks, task.c):
 * the canaries, the high-water mark and the start state are as
 * wa__ctx_create leaves them. Returns 0, or -1 if the block must not be
 * reused (then the caller destroys it): the native backend under ASan,
 * so that a stale pointer into a finished task's stack still faults. */
int wa__ctx_recycle(struct wa__task *t);
/* Scheduler side: runs t (first start or resume) until it suspends
 * (returns 0), its function returns (returns 1 and sets *status), or it
 * overflowed and can never be resumed (returns WA_EOVERFLOW). The backend
 * calls t->fn(t->arg) itself, so no trampoline frame sits under every
 * suspended task. */
int wa__ctx_run(struct wa__task *t, int *status);

/* Runs the ready tasks of the tick wa__run_ready has begun. The core's
 * own (a weak definition in sched.c, which Asyncify and native use) calls
 * wa__ctx_run for each task until the tick is over, on the scheduler's
 * stack. A backend that cannot return to the scheduler's stack cheaply
 * (JSPI: every return would be a promise round trip) defines its own and
 * carries the tick on itself: it may return while the tick is still in
 * progress (wa__in_tick stays set) and go on later, from any stack, with
 * these two, until wa__sched_next returns NULL:
 *  - wa__sched_next: the next task to run, marked running (wa__cur is the
 *    backend's to set while it runs), or NULL once the tick is over (the
 *    queue is empty or the time slice used up; wa__in_tick is then 0);
 *  - wa__sched_ran: after t's run ended with wa__ctx_run's code (1 with
 *    status: it returned; WA_EOVERFLOW; 0: it suspended), the core's
 *    bookkeeping (t may be freed). */
void wa__ctx_run_tick(void);
struct wa__task *wa__sched_next(void);
void wa__sched_ran(struct wa__task *t, int rc, int status);

/* Runs on the task's own stack on the way into a suspend that is not a
 * wait (wa_yield's, which puts t back in the ready queue), after the
 * overflow check. It returns WA__SUSPEND to suspend, or any other value,
 * which the caller returns at once without switching: wa_yield does all
 * its work here, so it needs no instrumented frame of its own. */
typedef int (*wa__prepare_fn)(struct wa__task *t);
#define WA__SUSPEND 1

/* Task side: prepare(t), then (if it said WA__SUSPEND) return control to
 * the scheduler; returns t->wake_code when t is resumed. Never inlined
 * (Asyncify: the top-most runtime must stay a function of its own; see
 * asyncify.c), and called from inline wrappers, so that await points add
 * no frame of their own for Asyncify to save and restore on every switch.
 * t may be NULL (outside a task): prepare must then fail. A prepare may
 * also finish t (wa__task_exit: t is DONE when it returns): t then leaves
 * its stack for good and is never resumed; the backend reports the run
 * as a suspend (wa__ctx_run returns 0, or a backend that carries the tick
 * on calls wa__sched_ran(t, 0, 0)), and the core frees t as it frees a
 * task whose function returned. */
int wa__ctx_switch_out(struct wa__task *t, wa__prepare_fn prepare /* or NULL */);

/* Task side, for a task that has already parked itself (wa__wait_park, the
 * first half of every wait): returns control to the scheduler, and
 * t->wake_code when t is resumed. If t cannot suspend (its stack
 * overflowed), wa__unpark ends its wait first and it never resumes. */
static inline int wa__ctx_suspend_parked(struct wa__task *t) {
  return wa__ctx_switch_out(t, NULL);
}

/* An await point reached from a host import (wa__js_await, called by a
 * WA_ASYNC_JS import) is about to park t; key names the park for the
 * import (its promise handle). import_resumed: that park returned (woken,
 * cancelled or timed out). A backend that suspends by unwinding through
 * the import and calling it again on resume (Asyncify) needs the key to
 * lead the import back into the park; the others do nothing. */
void wa__ctx_import_park(struct wa__task *t, uint32_t key);
void wa__ctx_import_resumed(struct wa__task *t);

/* The program's C main(), which the host runs as the main task when there
 * is no wa_main (entry.c), or NULL: the wasm backends find it by the names
 * clang gives main on wasm (wasm/backend/cmain.c); natively the process's
 * main is the native host's own, so there is none. */
typedef int (*wa__main_fn)(int argc, char **argv);
wa__main_fn wa__c_main(void);

/* Bytes of t's stack region (for diagnostics). */
size_t wa__ctx_stack_size(const struct wa__task *t);
/* The most of it t has used at a suspend (wa_task_stack_used). */
size_t wa__ctx_stack_used(const struct wa__task *t);

#endif /* WA_BACKEND_H */
