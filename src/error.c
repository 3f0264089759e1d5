/* error.c — WA_E* descriptions and names, generated from WA_ERRNO_MAP, and
 * wa_last_error()'s store: the running task's message (t->last_error,
 * freed with the task), or one buffer for calls made outside any task. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static char outside_error[256];

void wa__set_last_error(wa__task *t, const char *msg, size_t len) {
  char *copy;
  if (!t) {
    if (len >= sizeof outside_error) len = sizeof outside_error - 1;
    memcpy(outside_error, msg, len);
    outside_error[len] = '\0';
    return;
  }
  copy = malloc(len + 1);
  if (!copy) return;
  memcpy(copy, msg, len);
  copy[len] = '\0';
  free(t->last_error);
  t->last_error = copy;
}

const char *wa_last_error(void) {
  if (!wa__cur) return outside_error;
  return wa__cur->last_error ? wa__cur->last_error : "";
}


int wa__fail(int code, const char *fn, const char *why) {
  char buf[192];
  int n = snprintf(buf, sizeof buf, "%s: %s", fn, why ? why : wa_strerror(code));
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof buf) n = (int)sizeof buf - 1;
  wa__set_last_error(wa__cur, buf, (size_t)n);
  return code;
}

/* The host found an error in the running task's call (a wa_fetch argument
 * JS rejects, a rejection's message taken by wa__js_take): msg (len bytes,
 * not owned) becomes that task's wa_last_error(). */
void wa__on_call_error(const char *msg, size_t len) { wa__set_last_error(wa__cur, msg, len); }

const char *wa_strerror(int code) {
  switch (code) {
#define WA__STRERROR_CASE(name, value, text) case WA_##name: return text;
    WA_ERRNO_MAP(WA__STRERROR_CASE)
#undef WA__STRERROR_CASE
    case 0: return "success";
    default: return "unknown error";
  }
}

const char *wa_err_name(int code) {
  switch (code) {
#define WA__ERRNAME_CASE(name, value, text) case WA_##name: return "WA_" #name;
    WA_ERRNO_MAP(WA__ERRNAME_CASE)
#undef WA__ERRNAME_CASE
    case 0: return "WA_OK";
    default: return "WA_EUNKNOWN";
  }
}
