/* backend.h — stack switching, implemented once per platform:
 *   src/backend/asyncify.c  wasm: Binaryen Asyncify, scheduler loop in wasm
 *   src/backend/native.c    native: ucontext, for unit tests under ASan/UBSan
 * The core calls only these functions; they never call back into the core
 * except wa__task_main (on the task's stack) and wa__task_overflowed. */
#ifndef WA_BACKEND_H
#define WA_BACKEND_H

#include <stddef.h>

struct wa__task;

/* Allocates t->ctx with a stack of stack_size bytes. 0 or WA_ENOMEM. */
int wa__ctx_create(struct wa__task *t, size_t stack_size);
/* Releases t->ctx. t must not be running. */
void wa__ctx_destroy(struct wa__task *t);
/* Scheduler side: runs t (first start or resume) until it suspends or
 * wa__task_main returns. Returns 0, or WA_EOVERFLOW if t overflowed and
 * can never be resumed (the core then finishes it). */
int wa__ctx_run(struct wa__task *t);
/* Task side: returns control to the scheduler; returns when t is resumed. */
void wa__ctx_suspend(struct wa__task *t);
/* Bytes of t's stack region (for diagnostics). */
size_t wa__ctx_stack_size(const struct wa__task *t);

#endif /* WA_BACKEND_H */
