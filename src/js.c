/* js.c — JavaScript from C (WA_ASYNC_JS) and C from JavaScript (cwrap),
 * the C half of src/host/js/js.js. Backend-blind: it only parks
 * and wakes tasks; the JS half owns the promises.
 *
 * JavaScript from C. WA_ASYNC_JS(ret, name, params, body) makes `name` a JS
 * import (EM_JS-style, import name "wa__ajs__<name>", which
 * src/backend/asyncify-imports.json lists by wildcard so Asyncify instruments its
 * callers). Called in a task, that import:
 *   1. wa__js_begin(): the await point's first step (WA_ENOTASK outside a
 *      task, or a pending WA_ECANCELED / WA_ETIMEDOUT: returned at once and
 *      the body never starts);
 *   2. starts the async body, registers its promise under a handle;
 *   3. wa__js_await(handle): parks the task. The wait unwinds through the
 *      JS import (which sees wa__unwinding() and returns at once); every
 *      other task keeps running.
 * When the promise settles, JS calls wa__js_settle(handle, ok, msg, len),
 * which wakes the task (0, or WA_EJS with the message as wa_last_error()).
 * Resumed, the task rewinds into the same import, which asks
 * wa__js_resuming() for the handle, finishes the rewind with
 * wa__js_await(handle) and returns the promise's value (or the code).
 * Cancelled (or timed out) while waiting: the wait's hook tells JS to drop
 * the handle (the promise is left to settle and ignored) and the call
 * returns WA_ECANCELED / WA_ETIMEDOUT.
 *
 * C from JavaScript. wa__js_call_start(token, name, stack) spawns a task
 * whose body calls the async import wa__host_invoke(token): JS calls the
 * exported C function with the call's (already converted) arguments. If it
 * suspends, the unwind passes through JS (which checks wa__unwinding() and
 * returns); on resume the same call is repeated and the callee rewinds. The
 * JS side stores the converted result and settles the caller's promise when
 * the task ends (wa__host_task_done).
 */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#ifdef __EMSCRIPTEN__

/* Imports from src/host/js/js.js. */
void wa__js_drop(uint32_t handle);
/* A handed-over promise: -1 unknown handle, 0 pending, 1 settled. */
int wa__js_state(uint32_t handle);
/* Takes a settled handed-over promise out of the table: 0 and *value, or
 * WA_EJS after calling wa__js_set_error with the message. */
int wa__js_take(uint32_t handle, double *value);
int wa__host_invoke(uint32_t token);

static const char js_what[] = "js promise";

/* Every task parked on a JS promise, each by its own node (t->self_wait:
 * under JSPI wa__js_await returns to the JS import before the task
 * suspends, so its frame cannot hold the node); a node's data is the
 * promise's handle. */
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
  wa__wait_on(&t->self_wait, &js_waiters, (void *)(uintptr_t)handle);
  t->wait_cancel = drop_promise;
  t->js_handle = handle;
  rc = wa__wait(js_what, NULL);
  t->js_handle = 0;
  return rc;
}

void wa__js_settle(uint32_t handle, int ok, const char *msg, size_t len) {
  wa__wait_node *w;
  for (w = js_waiters.head; w; w = w->next)
    if (node_handle(w) == handle) break;
  if (!w) return; /* dropped: its task was cancelled */
  if (ok) {
    wa__wake(w->task, 0);
  } else {
    wa__set_last_error(w->task, msg ? msg : "", msg ? len : 0);
    wa__wake(w->task, WA_EJS);
  }
}

/* Non-zero (the handle) while the current task rewinds into its wait in
 * wa__js_await: woken, running again, wa__wait not yet returned. (Not its
 * node: the scheduler unlinks it when it wakes the task.) */
uint32_t wa__js_resuming(void) {
  wa__task *t = wa__cur;
  if (!t || t->state != WA__RUNNING) return 0;
  return t->js_handle;
}

/* Where JS counts the calls it makes into exports from inside a task's run
 * (wa__host_reentered, internal.h); JS updates it in memory, without a call. */
int *wa__js_reentered_flag(void) { return &wa__host_reentered; }

/* 1 while the current task unwinds (it parked or yielded and is leaving
 * the stack); JS that called into C returns at once then. */
int wa__unwinding(void) { return wa__cur && wa__cur->state != WA__RUNNING; }

/* A call whose task was cancelled ends with WA_ECANCELED, whatever the C
 * function returned after its await point reported the cancellation: the
 * caller's promise then rejects, as a cancelled asyncio task does. */
static int invoke_body(void *arg) {
  int rc = wa__host_invoke((uint32_t)(uintptr_t)arg);
  return wa__cur->cancel_requested ? WA_ECANCELED : rc;
}

/* promise.cancel() from JS: cancels the task running call `token`, if any. */
void wa__js_call_cancel(uint32_t token) {
  for (wa__task *t = wa__task_first(); t; t = t->all_next) {
    if (t->host_token == token && t->state != WA__DONE) {
      wa_cancel(wa__task_handle(t));
      return;
    }
  }
}

/* ---- promises handed to C by JS (app.promise) ----------------------------- */

int wa_js_await(uint32_t handle, double *value) {
  double v = 0;
  int rc, state = wa__js_state(handle);
  if (state < 0) return wa__fail(WA_EINVAL, "wa_js_await", "unknown or already used promise handle");
  rc = wa__await_begin();
  if (rc == 0 && state == 0) rc = wa__js_await(handle); /* parks until it settles */
  if (rc != 0) {
    wa__js_drop(handle); /* consumed: the promise is ignored from now on */
    /* WA_EJS: it was rejected while parked; wa__js_settle set its message. */
    return rc == WA_EJS ? rc : wa__fail(rc, "wa_js_await", NULL);
  }
  rc = wa__js_take(handle, &v);
  if (rc == 0 && value) *value = v;
  return rc;
}

void wa_js_release(uint32_t handle) { wa__js_drop(handle); }

/* Called by JS (wa__js_take) with a rejection's message. */
void wa__js_set_error(const char *msg, size_t len) { wa__set_last_error(wa__cur, msg, len); }

int wa__js_call_start(uint32_t token, const char *name, size_t stack_size) {
  wa_task_opts opts;
  wa__task *t;
  if (stack_size && (stack_size < WA_STACK_MIN || stack_size > WA_STACK_MAX)) return WA_EINVAL;
  opts.name = name;
  opts.stack_size = stack_size; /* 0: the program's default */
  t = wa__task_spawn(invoke_body, (void *)(uintptr_t)token, &opts);
  if (!t) return WA_ENOMEM;
  t->host_token = token;
  t->detached = 1; /* the host learns the status through the token */
  return (int)t->id;
}

#else /* native builds: there is no JavaScript */

int wa_js_await(uint32_t handle, double *value) {
  (void)handle;
  (void)value;
  return WA_ENOTSUP;
}

void wa_js_release(uint32_t handle) { (void)handle; }

#endif /* __EMSCRIPTEN__ */

void *wa_js_bytes(const void *data, size_t len) {
  uint32_t n = (uint32_t)len;
  unsigned char *p;
  if ((size_t)n != len || !(p = malloc(sizeof n + len))) return NULL;
  memcpy(p, &n, sizeof n); /* length prefix, little-endian in wasm */
  if (len) memcpy(p + sizeof n, data, len);
  return p;
}
