/* js.c — JavaScript from C (WA_ASYNC_JS) and C from JavaScript (cwrap),
 * the C half of wasm/host/js/js.js. Backend- and host-blind: it parks and
 * wakes tasks; the host owns the promises, and every crossing is declared
 * in src/host.h.
 *
 * JavaScript from C. WA_ASYNC_JS(ret, name, params, body) makes `name` a
 * host import (import name "wa__ajs__<name>", an async import: the backend
 * can switch through it). Called in a task, that import:
 *   1. wa__js_begin(): the await point's first step (WA_ENOTASK outside a
 *      task, or a pending WA_ECANCELED / WA_ETIMEDOUT: returned at once and
 *      the body never starts);
 *   2. starts the async body, registers its promise under a handle;
 *   3. wa__js_await(handle): tells the host which task waits on the handle
 *      (wa__js_watch) and parks the task; every other task keeps running.
 *      The backend learns of the park first (wa__ctx_import_park): a
 *      backend that unwinds through the import re-enters it on resume,
 *      and needs the handle to lead it back into this park (backend.h).
 * When the promise settles, the host calls wa__on_js_settle(task, handle, ok,
 * msg, len) with the task it was given, which wakes it (0, or WA_EJS with
 * the message as wa_last_error()). Cancelled (or timed out) while waiting:
 * on_abort tells the host to drop the handle (the promise is left to
 * settle and ignored) and the call returns WA_ECANCELED / WA_ETIMEDOUT.
 *
 * C from JavaScript. wa__on_js_call(token, name, stack, &task) spawns a task
 * whose body calls the async import wa__host_invoke(token): the host calls
 * the exported C function with the call's (already converted) arguments,
 * stores the converted result and settles the caller's promise when the
 * task ends (wa__host_task_done).
 *
 * The native host has no JavaScript: its imports say so (wa__js_state is
 * WA_ENOTSUP), and nothing else here is reached.
 */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "backend.h"
#include "host.h"

static const char js_what[] = "js promise";

/* Every task parked on a JS promise, each by its own node (t->self_wait:
 * a backend may return wa__js_await to the JS import before the task
 * suspends, so its frame cannot hold the node); a node's data is the
 * promise's handle. The host settles by task (wa__js_watch), so the queue
 * is never searched. */
static wa__waitq js_waiters;

static uint32_t node_handle(const wa__wait_node *w) { return (uint32_t)(uintptr_t)w->data; }

/* The wait's hook (internal.h): a cancelled or timed-out wait tells JS to
 * drop the promise, which is left to settle and ignored. */
static void drop_promise(wa__task *t) { wa__js_drop(node_handle(&t->self_wait)); }

int wa__js_begin(void) { return wa__await_begin(); }

int wa__js_await(uint32_t handle) {
  wa__task *t = wa__cur;
  int rc;
  if (!t) return WA_ENOTASK;
  /* A cancellation or timeout that came while the body's synchronous part
   * ran (it may call into C) is this await point's: delivered now, the
   * promise dropped, rather than once the promise settles (or never). */
  if (t->cancel_pending || t->timeout_pending) {
    rc = wa__await_begin();
    wa__js_drop(handle);
    return rc;
  }
  wa__js_watch(handle, t);
  wa__wait_on(&t->self_wait, &js_waiters, (void *)(uintptr_t)handle);
  t->wait_cancel = drop_promise;
  wa__ctx_import_park(t, handle);
  rc = wa__wait(js_what, NULL);
  wa__ctx_import_resumed(t);
  return rc;
}

/* t is the task the host was given (wa__js_watch), and is still waiting on
 * handle: the host forgets the waiter before it calls, and a dropped
 * handle (wait_cancel) is never settled. The check is a guard, not a search. */
void wa__on_js_settle(wa__task *t, uint32_t handle, int ok, const char *msg, size_t len) {
  if (!t || t->state != WA__WAITING || t->wait_what != js_what || node_handle(&t->self_wait) != handle) return;
  if (ok) {
    wa__wake(t, 0);
  } else {
    wa__set_last_error(t, msg ? msg : "", msg ? len : 0);
    wa__wake(t, WA_EJS);
  }
}

/* Where JS counts the calls it makes into exports from inside a task's run
 * (wa__host_reentered, internal.h); JS updates it in memory, without a call. */
int *wa__js_reentered_flag(void) { return &wa__host_reentered; }

/* A call whose task was cancelled ends with WA_ECANCELED, whatever the C
 * function returned after its await point reported the cancellation: the
 * caller's promise then rejects, as a cancelled asyncio task does. */
static int invoke_body(void *arg) {
  int rc = wa__host_invoke((uint32_t)(uintptr_t)arg);
  return wa__cur->cancel_requested ? WA_ECANCELED : rc;
}

/* promise.cancel() from JS (and the deadlock report): cancels the task
 * the host was given for a call or main (*task of wa__on_js_call or
 * wa__on_start_main). Handles are generation-checked: once that task has
 * ended (and, detached, been freed) this does nothing. */
void wa__on_cancel(uint32_t task) { wa_cancel((wa_task *)(uintptr_t)task); }

/* ---- promises handed to C by JS (app.promise) ----------------------------- */

int wa_js_await(uint32_t handle, double *value) {
  double v = 0;
  int rc, state = wa__js_state(handle);
  if (state < 0) /* WA_EINVAL, or WA_ENOTSUP: a host without JavaScript */
    return wa__fail(state, "wa_js_await", state == WA_EINVAL ? "unknown or already used promise handle" : NULL);
  rc = wa__await_begin();
  if (rc == 0 && state == 0) rc = wa__js_await(handle); /* parks until it settles */
  if (rc != 0) {
    wa__js_drop(handle); /* consumed: the promise is ignored from now on */
    /* WA_EJS: it was rejected while parked; wa__on_js_settle set its message. */
    return rc == WA_EJS ? rc : wa__fail(rc, "wa_js_await", NULL);
  }
  rc = wa__js_take(handle, &v);
  if (rc == 0 && value) *value = v;
  return rc;
}

void wa_js_release(uint32_t handle) { wa__js_drop(handle); }


int wa__on_js_call(uint32_t token, const char *name, size_t stack_size, uint32_t *task) {
  wa_task_opts opts;
  wa__task *t;
  if (stack_size && (stack_size < WA_STACK_MIN || stack_size > WA_STACK_MAX)) return WA_EINVAL;
  opts.name = name;
  opts.stack_size = stack_size; /* 0: the program's default */
  t = wa__task_spawn(invoke_body, (void *)(uintptr_t)token, &opts);
  if (!t) return WA_ENOMEM;
  t->host_token = token;
  t->detached = 1; /* the host learns the status through the token */
  *task = (uint32_t)(uintptr_t)wa__task_handle(t);
  return 0;
}

void *wa_js_bytes(const void *data, size_t len) {
  uint32_t n = (uint32_t)len;
  unsigned char *p;
  /* a length the prefix cannot hold, or whose block size would wrap */
  if ((size_t)n != len || len > SIZE_MAX - sizeof n || !(p = malloc(sizeof n + len))) return NULL;
  memcpy(p, &n, sizeof n); /* length prefix, little-endian in wasm */
  if (len) memcpy(p + sizeof n, data, len);
  return p;
}
