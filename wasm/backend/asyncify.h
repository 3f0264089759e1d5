/* asyncify.h — the crossings between asyncify.c and its JS half
 * (asyncify.js), read by js/cli/crossings.mjs like src/host.h's tables.
 *
 * A suspend unwinds through every JS import on the task's stack, and the
 * resume calls that import again. unwinding: 1 while the current task
 * leaves its stack (the import returns at once); resuming: the key the
 * task parked with (wa__ctx_import_park) while it rewinds into that park,
 * else 0. */
#ifndef WA_BACKEND_ASYNCIFY_H
#define WA_BACKEND_ASYNCIFY_H

#include <stdint.h>

#define WA_ASYNCIFY_EXPORTS(X)                                                          \
  X(int, wa__asyncify_unwinding, (void))                                               \
  X(uint32_t, wa__asyncify_resuming, (void))

#define WA__ASYNCIFY_PROTO(ret, name, params) ret name params;
WA_ASYNCIFY_EXPORTS(WA__ASYNCIFY_PROTO)
#undef WA__ASYNCIFY_PROTO

#endif /* WA_BACKEND_ASYNCIFY_H */
