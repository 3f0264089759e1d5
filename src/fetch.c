/* fetch.c — wa_fetch and wa_response_*: the C half of
 * wasm/library_wasync_fetch.js. Backend-blind: it parks and wakes tasks and
 * talks to the host only through the imports declared below.
 *
 * Protocol (no async imports: every park happens in C, so the unwind never
 * passes through JavaScript):
 *   wa_fetch      validates its arguments (CR/LF in headers, method token),
 *                 then wa__fetch_start() copies URL, method, headers and body
 *                 into JS and starts fetch() with an AbortController; it
 *                 returns a handle into the host's table (or WA_EINVAL for a
 *                 URL the host cannot resolve, before anything is sent). The
 *                 task parks ("fetch <url>"). When the response head
 *                 arrives, JS calls wa__fetch_head (the status) and
 *                 wa__fetch_wake(r, 0); a network failure is
 *                 wa__fetch_wake(r, WA_ENET, message). Headers are copied
 *                 on the first wa_response_header (wa__fetch_headers: a
 *                 malloc'd block of lower-case "name\0value\0" pairs that
 *                 r owns from then on).
 *   read          wa__fetch_read(h, buf, len) copies at once what JS still
 *                 holds of the current chunk (at most len bytes) and
 *                 returns the count, 0 at the end, or WA__FETCH_PARK: one
 *                 reader.read() is now pending and the task parks. When it
 *                 settles, JS copies at most len bytes into buf (the task is
 *                 parked, so buf is still valid), keeps the rest of that
 *                 chunk for the next read (the only buffering) and calls
 *                 wa__fetch_wake(r, n).
 *   abort         a cancelled or timed-out wait calls wa__fetch_abort(h): the
 *                 controller aborts, and JS never calls back for h again.
 *   release       wa__fetch_release(h) aborts whatever is unfinished and
 *                 empties the table slot (wa_response_free, failed wa_fetch).
 * Natively every function returns WA_ENOTSUP (no host fetch).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#ifdef __EMSCRIPTEN__

#define WA__FETCH_PARK (-1000)

/* Imports from wasm/library_wasync_fetch.js (plain, synchronous). */
int wa__fetch_start(wa_response *r, const char *url, const char *method,
                    const char *const *headers, const void *body, size_t body_len);
long wa__fetch_read(uint32_t handle, void *buf, size_t len);
void wa__fetch_abort(uint32_t handle);
void wa__fetch_release(uint32_t handle);
char *wa__fetch_headers(uint32_t handle, size_t *len);

struct wa_response {
  uint32_t handle;     /* host table slot; 0 once released */
  int status;
  char *url;           /* copy; also the dump's wait detail */
  char *headers;       /* "name\0value\0" pairs, names lower-case (host-made) */
  size_t headers_len;
  int headers_loaded;  /* fetched from the host on first use */
  wa__task *waiter;    /* task parked on this response, or NULL */
  long result;         /* what the host delivered for the last wait */
  int error;           /* sticky: a read failed or was aborted */
  int eof;
};

static const char fetch_what[] = "fetch";

static void abort_wait(wa__task *t) {
  wa_response *r = (wa_response *)t->wait_obj;
  r->waiter = NULL;
  if (r->handle) wa__fetch_abort(r->handle);
}

/* Parks the current task on r (the await point's steps 2-4). */
static int park_on(wa_response *r) {
  wa__task *t = wa__cur;
  r->waiter = t;
  r->result = 0;
  t->wait_detail = r->url;
  return wa__park(fetch_what, r, abort_wait);
}

/* ---- called by the host (exports) ------------------------------------------- */

/* The response head arrived: hdrs (malloc'd, may be NULL) now belongs to r. */
void wa__fetch_head(wa_response *r, int status, char *hdrs, size_t hdrs_len) {
  r->status = status;
  free(r->headers);
  r->headers = hdrs;
  r->headers_len = hdrs ? hdrs_len : 0;
}

/* Completes r's pending wait: result is a byte count (reads), 0, or a
 * negative code with msg (not owned) as the task's wa_last_error(). */
void wa__fetch_wake(wa_response *r, long result, const char *msg, size_t msg_len) {
  wa__task *t = r->waiter;
  if (!t) return;
  r->waiter = NULL;
  r->result = result;
  if (result < 0 && msg) wa__set_last_error(t, msg, msg_len);
  wa__wake(t, 0);
}

/* Sets the calling task's wa_last_error() (argument errors found by JS). */
void wa__fetch_set_error(const char *msg, size_t len) {
  wa__set_last_error(wa__cur, msg, len);
}

/* ---- public API --------------------------------------------------------------- */

static int has_crlf(const char *s) {
  for (; *s; s++)
    if (*s == '\r' || *s == '\n') return 1;
  return 0;
}

static int is_token(const char *s) {
  static const char extra[] = "!#$%&'*+-.^_`|~";
  if (!*s) return 0;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c && strchr(extra, c))))
      return 0;
  }
  return 1;
}

static void release(wa_response *r) {
  if (r->handle) wa__fetch_release(r->handle);
  r->handle = 0;
}

int wa_fetch(const char *url, const wa_fetch_opts *opts, wa_response **out) {
  const char *method = opts && opts->method ? opts->method : "GET";
  const char *const *headers = opts ? opts->headers : NULL;
  wa_response *r;
  size_t n;
  int rc;
  if (out) *out = NULL;
  if (!url || !out || (opts && opts->body_len && !opts->body)) return WA_EINVAL;
  if (has_crlf(url) || !is_token(method)) return WA_EINVAL;
  for (n = 0; headers && headers[n]; n += 2) {
    if (!headers[n + 1] || !is_token(headers[n]) || has_crlf(headers[n + 1])) return WA_EINVAL;
  }
  rc = wa__await_begin();
  if (rc) return rc;
  r = calloc(1, sizeof *r);
  if (!r) return WA_ENOMEM;
  n = strlen(url);
  r->url = malloc(n + 1);
  if (!r->url) {
    free(r);
    return WA_ENOMEM;
  }
  memcpy(r->url, url, n + 1);
  rc = wa__fetch_start(r, url, method, headers, opts ? opts->body : NULL, opts ? opts->body_len : 0);
  if (rc < 0) {
    wa_response_free(r);
    return rc;
  }
  r->handle = (uint32_t)rc;
  rc = park_on(r);
  if (rc == 0 && r->result < 0) rc = (int)r->result;
  if (rc != 0) {
    wa_response_free(r);
    return rc;
  }
  *out = r;
  return 0;
}

int wa_response_status(const wa_response *r) { return r ? r->status : WA_EINVAL; }

const char *wa_response_header(const wa_response *r, const char *name) {
  const char *p, *end;
  if (!r || !name) return NULL;
  if (!r->headers_loaded && r->handle) {
    wa_response *w = (wa_response *)r; /* a cache, filled on first use */
    w->headers = wa__fetch_headers(r->handle, &w->headers_len);
    w->headers_loaded = 1;
  }
  if (!r->headers) return NULL;
  p = r->headers;
  end = r->headers + r->headers_len;
  while (p < end) {
    const char *value = p + strlen(p) + 1;
    const char *a = p, *b = name;
    while (*a && *b) {
      unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
      if (y >= 'A' && y <= 'Z') y = (unsigned char)(y - 'A' + 'a');
      if (x >= 'A' && x <= 'Z') x = (unsigned char)(x - 'A' + 'a');
      if (x != y) break;
      a++;
      b++;
    }
    if (!*a && !*b) return value;
    if (value >= end) break;
    p = value + strlen(value) + 1;
  }
  return NULL;
}

long wa_response_read(wa_response *r, void *buf, size_t len) {
  long n;
  int rc;
  if (!r || (!buf && len)) return WA_EINVAL;
  if (r->error) return r->error;
  if (r->eof) return 0;
  if (len == 0) return 0;
  if (len > 0x40000000) len = 0x40000000;
  if (!r->handle) return WA_EINVAL;
  if (r->waiter) return WA_EBUSY; /* another task is reading it */
  rc = wa__await_begin();
  if (rc) return rc;
  n = wa__fetch_read(r->handle, buf, len);
  if (n == WA__FETCH_PARK) {
    rc = park_on(r);
    if (rc != 0) {
      r->error = rc; /* the request was aborted: the rest of the body is gone */
      return rc;
    }
    n = r->result;
  }
  if (n == 0) r->eof = 1;
  if (n < 0) r->error = (int)n;
  return n;
}

int wa_response_body(wa_response *r, char **data, size_t *len) {
  size_t cap, used = 0;
  const char *cl;
  char *buf;
  if (data) *data = NULL;
  if (len) *len = 0;
  if (!r || !data) return WA_EINVAL;
  cap = 16 * 1024;
  cl = wa_response_header(r, "content-length");
  if (cl) {
    char *endp;
    unsigned long long v = strtoull(cl, &endp, 10);
    if (endp != cl && v < ((size_t)256 << 20)) cap = (size_t)v + 1;
  }
  buf = malloc(cap);
  if (!buf) return WA_ENOMEM;
  for (;;) {
    long n;
    if (cap - used < 2) {
      size_t ncap = cap * 2;
      char *nb = ncap > cap ? realloc(buf, ncap) : NULL;
      if (!nb) {
        free(buf);
        return WA_ENOMEM;
      }
      buf = nb;
      cap = ncap;
    }
    n = wa_response_read(r, buf + used, cap - used - 1);
    if (n < 0) {
      free(buf);
      return (int)n;
    }
    if (n == 0) break;
    used += (size_t)n;
  }
  buf[used] = '\0';
  *data = buf;
  if (len) *len = used;
  return 0;
}

void wa_response_free(wa_response *r) {
  if (!r) return;
  if (r->waiter) return; /* a task is parked on it: freeing would leave it dangling */
  release(r);
  free(r->headers);
  free(r->url);
  free(r);
}

#else /* native: no host fetch */

int wa_fetch(const char *url, const wa_fetch_opts *opts, wa_response **out) {
  WA__UNUSED(url);
  WA__UNUSED(opts);
  if (out) *out = NULL;
  return WA_ENOTSUP;
}

int wa_response_status(const wa_response *r) {
  WA__UNUSED(r);
  return WA_ENOTSUP;
}

const char *wa_response_header(const wa_response *r, const char *name) {
  WA__UNUSED(r);
  WA__UNUSED(name);
  return NULL;
}

long wa_response_read(wa_response *r, void *buf, size_t len) {
  WA__UNUSED(r);
  WA__UNUSED(buf);
  WA__UNUSED(len);
  return WA_ENOTSUP;
}

int wa_response_body(wa_response *r, char **data, size_t *len) {
  WA__UNUSED(r);
  if (data) *data = NULL;
  if (len) *len = 0;
  return WA_ENOTSUP;
}

void wa_response_free(wa_response *r) { WA__UNUSED(r); }

#endif /* __EMSCRIPTEN__ */
