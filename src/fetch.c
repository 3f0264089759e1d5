/* fetch.c — wa_fetch and wa_response_*: the C half of
 * wasm/host/js/fetch.js. Backend-blind: it parks and wakes tasks and
 * talks to the host only through src/host.h's crossings.
 *
 * Protocol (no async imports: every park happens in C, so the unwind never
 * passes through JavaScript):
 *   wa_fetch      validates its arguments (method token and not a forbidden
 *                 method, header names and values, headers the host
 *                 manages itself), then wa__fetch_start() copies URL,
 *                 method, headers and body
 *                 into JS and starts fetch() with an AbortController; it
 *                 returns a handle into the host's table (or WA_EINVAL for a
 *                 URL the host cannot resolve or that carries credentials,
 *                 before anything is sent). The
 *                 task parks ("fetch <url>"). When the response head
 *                 arrives, JS makes one call, wa__on_fetch_head(r, status,
 *                 headers, ended, now): the headers are a block of
 *                 lower-case "name\0value\0" pairs, written into
 *                 head_scratch (passed to wa__fetch_start) when they fit,
 *                 else malloc'd by JS for r to own; ended says the body is
 *                 already known to be empty (no body, Content-Length 0).
 *                 A network failure is wa__on_fetch_failed(r, WA_ENET,
 *                 message, now), an argument the host's fetch() rejected
 *                 late is WA_EINVAL.
 *   read          wa__fetch_read(h, buf, len, &ended) copies at once what
 *                 JS still holds of the current chunk (at most len bytes)
 *                 and returns the count, or WA__FETCH_PARK: one
 *                 reader.read() is now pending and the task parks. When it
 *                 settles, JS copies at most len bytes into buf (the task is
 *                 parked, so buf is still valid), keeps the rest of that
 *                 chunk for the next read (the only buffering) and calls
 *                 wa__on_fetch_body(r, n, ended, now), or
 *                 wa__on_fetch_failed.
 *   end           ended (1) says these were the body's last bytes: the
 *                 stream ended, or as many bytes as an identity-encoded
 *                 Content-Length announced came. JS then forgets h (no
 *                 release follows) and C forgets it too: the next read
 *                 returns 0 without crossing.
 *   abort         a cancelled or timed-out wait calls wa__fetch_abort(h): the
 *                 controller aborts, and JS never calls back for h again.
 *   release       wa__fetch_release(h) aborts whatever is unfinished and
 *                 empties the table slot (wa_response_free, failed wa_fetch).
 * Each completion runs the task it wakes in the same call (wa__wake_run),
 * as the timer's does: no tick is asked for or follows.
 * Messages: every failing call sets the task's wa_last_error(), with the
 * host's message when the host found the failure and a message made here
 * otherwise; a sticky error (r->error) keeps its message in r->errmsg and
 * sets it again each time it is returned.
 * A host without fetch() (the native one) fails wa__fetch_start with
 * WA_ENOTSUP, so wa_fetch returns that once its arguments are checked.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "host.h"

struct wa_response {
  uint32_t handle;     /* host table slot; 0 once released */
  int status;
  char *url;           /* copy; also the dump's wait detail */
  char *headers;       /* "name\0value\0" pairs, names lower-case (host-made) */
  size_t headers_len;
  wa__waitq reader;    /* the task parked on this response (one at most) */
  long result;         /* what the host delivered for the last wait */
  int error;           /* sticky: a read failed or was aborted */
  char *errmsg;        /* wa_last_error() of that failure (malloc'd), or NULL */
  int eof;
};

static const char fetch_what[] = "fetch";

/* Where the host writes a response's headers for wa__on_fetch_head when they
 * fit (the common case: no malloc crossing); copied out at once. */
#define WA__HEAD_SCRATCH 2048
static char head_scratch[WA__HEAD_SCRATCH];

/* Makes code r's sticky error; the task's current message goes with it. */
static int set_sticky(wa_response *r, int code) {
  const char *msg = wa_last_error();
  size_t n = strlen(msg);
  r->error = code;
  free(r->errmsg);
  r->errmsg = malloc(n + 1);
  if (r->errmsg) memcpy(r->errmsg, msg, n + 1);
  return code;
}

/* Returns r's sticky error again, with its message. */
static int sticky(const wa_response *r) {
  if (r->errmsg) wa__set_last_error(wa__cur, r->errmsg, strlen(r->errmsg));
  else wa__fail(r->error, "wa_response_read", NULL);
  return r->error;
}

/* The wait's hook (internal.h): a cancelled or timed-out wait aborts the
 * request, and the host never calls back for it again. */
static void abort_request(wa__task *t) {
  const wa_response *r = t->wait_obj;
  if (r->handle) wa__fetch_abort(r->handle);
}

/* Waits for the host to complete r's pending step (steps 2 and 3 of the
 * protocol in internal.h). */
static int wait_on(wa_response *r) {
  wa__task *t = wa__cur;
  wa__wait_node w;
  r->result = 0;
  wa__wait_on(&w, &r->reader, NULL);
  t->wait_cancel = abort_request;
  t->wait_detail = r->url;
  return wa__wait(fetch_what, r);
}

static int has_reader(const wa_response *r) { return !wa__waitq_empty(&r->reader); }

/* ---- called by the host (exports) ------------------------------------------- */

/* The body's end is known: the host has forgotten r's handle. */
static void body_ended(wa_response *r) {
  r->eof = 1;
  r->handle = 0;
}

/* Completes r's pending wait with result and runs its task. */
static void complete(wa_response *r, long result, double now) {
  r->result = result;
  wa__wake_run(r->reader.head->task, 0, now);
}

/* The response head arrived: the status and the headers, hdrs_len bytes
 * at hdrs, which is head_scratch (copied here) or a malloc'd block that r
 * now owns (NULL: no headers). */
void wa__on_fetch_head(wa_response *r, int status, char *hdrs, size_t hdrs_len, int ended, double now) {
  if (!has_reader(r)) { /* not a state the host reaches: nothing is waiting */
    if (hdrs != head_scratch) free(hdrs);
    return;
  }
  if (hdrs == head_scratch) { /* a copy of its own, or none if memory is short */
    hdrs = hdrs_len ? malloc(hdrs_len) : NULL;
    if (hdrs) memcpy(hdrs, head_scratch, hdrs_len);
  }
  r->status = status;
  free(r->headers);
  r->headers = hdrs;
  r->headers_len = hdrs ? hdrs_len : 0;
  if (ended) body_ended(r);
  complete(r, 0, now);
}

/* A read completed: n (> 0) bytes are in the reader's buffer, or n is 0
 * and the body ended; ended says no bytes follow. */
void wa__on_fetch_body(wa_response *r, long n, int ended, double now) {
  if (!has_reader(r)) return;
  if (ended || n == 0) body_ended(r);
  complete(r, n, now);
}

/* r's pending step failed with code (< 0); msg (not owned) is the task's
 * wa_last_error(). */
void wa__on_fetch_failed(wa_response *r, int code, const char *msg, size_t msg_len, double now) {
  if (!has_reader(r)) return;
  if (msg) wa__set_last_error(r->reader.head->task, msg, msg_len);
  complete(r, code, now);
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

static int ieq(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
    if (x >= 'A' && x <= 'Z') x = (unsigned char)(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = (unsigned char)(y - 'A' + 'a');
    if (x != y) return 0;
  }
  return *a == *b;
}

/* A field value (RFC 9110): HTAB, SP, visible ASCII and obs-text only. */
static int is_field_value(const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c < 0x20 && c != '\t') || c == 0x7f) return 0;
  }
  return 1;
}

/* Methods fetch() refuses in every host (the Fetch standard's forbidden methods). */
static int is_forbidden_method(const char *m) {
  return ieq(m, "CONNECT") || ieq(m, "TRACE") || ieq(m, "TRACK");
}

/* Hop-by-hop headers that fetch() manages itself: Node's fetch rejects them,
 * browsers drop them silently; either way the caller's value never goes out. */
static int is_host_managed_header(const char *name) {
  static const char *const names[] = {"transfer-encoding", "keep-alive", "upgrade", "expect", NULL};
  for (int i = 0; names[i]; i++)
    if (ieq(name, names[i])) return 1;
  return 0;
}

/* WA_EINVAL with a message if wa_fetch's arguments are bad, else 0. */
static int check_args(const char *url, const wa_fetch_opts *opts, const char *method, wa_response **out) {
  const char *const *headers = opts ? opts->headers : NULL;
  static const char fn[] = "wa_fetch";
  if (!url) return wa__fail(WA_EINVAL, fn, "url is NULL");
  if (!out) return wa__fail(WA_EINVAL, fn, "out is NULL");
  if (opts && opts->body_len && !opts->body) return wa__fail(WA_EINVAL, fn, "body is NULL but body_len is not 0");
  if (has_crlf(url)) return wa__fail(WA_EINVAL, fn, "the URL contains CR or LF");
  if (!is_token(method)) return wa__fail(WA_EINVAL, fn, "the method is not an HTTP token");
  if (is_forbidden_method(method)) return wa__fail(WA_EINVAL, fn, "CONNECT, TRACE and TRACK are forbidden methods");
  for (size_t n = 0; headers && headers[n]; n += 2) {
    if (!headers[n + 1]) return wa__fail(WA_EINVAL, fn, "a header name has no value (odd headers list)");
    if (!is_token(headers[n])) return wa__fail(WA_EINVAL, fn, "a header name is not an HTTP token");
    if (!is_field_value(headers[n + 1])) return wa__fail(WA_EINVAL, fn, "a header value contains a control character");
    if (is_host_managed_header(headers[n]))
      return wa__fail(WA_EINVAL, fn, "Transfer-Encoding, Keep-Alive, Upgrade and Expect are set by the host");
  }
  return 0;
}

static void release(wa_response *r) {
  if (r->handle) wa__fetch_release(r->handle);
  r->handle = 0;
}

int wa_fetch(const char *url, const wa_fetch_opts *opts, wa_response **out) {
  static const char fn[] = "wa_fetch";
  const char *method = opts && opts->method ? opts->method : "GET";
  wa_response *r;
  size_t n;
  int rc;
  if (out) *out = NULL;
  rc = check_args(url, opts, method, out);
  if (rc) return rc;
  rc = wa__await_begin();
  if (rc) return wa__fail(rc, fn, NULL);
  r = calloc(1, sizeof *r);
  if (!r) return wa__fail(WA_ENOMEM, fn, NULL);
  n = strlen(url);
  r->url = malloc(n + 1);
  if (!r->url) {
    free(r);
    return wa__fail(WA_ENOMEM, fn, NULL);
  }
  memcpy(r->url, url, n + 1);
  rc = wa__fetch_start(r, url, method, opts ? opts->headers : NULL, opts ? opts->body : NULL,
                       opts ? opts->body_len : 0, head_scratch, sizeof head_scratch);
  if (rc < 0) {
    wa_response_free(r);
    return rc == WA_EINVAL ? rc : wa__fail(rc, fn, NULL); /* the host set EINVAL's message */
  }
  r->handle = (uint32_t)rc;
  rc = wait_on(r);
  if (rc != 0) wa__fail(rc, fn, NULL);
  else if (r->result < 0) rc = (int)r->result; /* the host set the message */
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
  if (!r || !name || !r->headers) return NULL;
  p = r->headers;
  end = r->headers + r->headers_len;
  while (p < end) {
    const char *value = p + strlen(p) + 1;
    if (ieq(p, name)) return value;
    if (value >= end) break;
    p = value + strlen(value) + 1;
  }
  return NULL;
}

long wa_response_read(wa_response *r, void *buf, size_t len) {
  static const char fn[] = "wa_response_read";
  long n;
  int rc, ended = 0;
  if (!r) return wa__fail(WA_EINVAL, fn, "r is NULL");
  if (!buf && len) return wa__fail(WA_EINVAL, fn, "buf is NULL");
  if (r->error) return sticky(r);
  if (r->eof) return 0;
  if (len == 0) return 0;
  if (len > 0x40000000) len = 0x40000000;
  if (!r->handle) return wa__fail(WA_EINVAL, fn, "the response was released");
  if (has_reader(r)) return wa__fail(WA_EBUSY, fn, "another task is reading this response");
  rc = wa__await_begin();
  if (rc) return wa__fail(rc, fn, NULL);
  n = wa__fetch_read(r->handle, buf, len, &ended);
  if (n == WA__FETCH_PARK) {
    rc = wait_on(r);
    if (rc != 0) /* the request was aborted: the rest of the body is gone */
      return set_sticky(r, wa__fail(rc, fn, NULL));
    n = r->result; /* the completion has seen to the end */
  } else if (ended || n == 0) {
    body_ended(r);
  }
  if (n < 0) {
    if (n == WA_EINVAL) wa__fail(WA_EINVAL, fn, "the host has no body to read");
    set_sticky(r, (int)n); /* WA_ENET: the host set the message */
  }
  return n;
}

/* Ends r's body early: the request is aborted and later reads return code. */
static int abandon_body(wa_response *r, int code, const char *msg) {
  if (r->handle) wa__fetch_abort(r->handle);
  return set_sticky(r, wa__fail(code, "wa_response_body", msg));
}

/* The announced Content-Length if the body is not content-encoded (then it
 * is the decoded length, as the host checks), else -1. */
static long long plain_length(const wa_response *r) {
  const char *cl = wa_response_header(r, "content-length");
  const char *ce = wa_response_header(r, "content-encoding");
  char *endp;
  unsigned long long v;
  if (!cl || (ce && !ieq(ce, "identity"))) return -1;
  v = strtoull(cl, &endp, 10);
  if (endp == cl || *endp || v > (unsigned long long)INT64_MAX) return -1;
  return (long long)v;
}

#define WA__BODY_RESERVE ((size_t)64 * 1024) /* at most this much before any data */

int wa_response_body_max(wa_response *r, char **data, size_t *len, size_t max) {
  static const char fn[] = "wa_response_body";
  /* The buffer never needs more than max + 1 bytes of data and the NUL. */
  const size_t limit = max < SIZE_MAX - 2 ? max + 2 : SIZE_MAX;
  size_t cap = WA__BODY_RESERVE, used = 0;
  long long announced;
  char *buf;
  if (data) *data = NULL;
  if (len) *len = 0;
  if (!r) return wa__fail(WA_EINVAL, fn, "r is NULL");
  if (!data) return wa__fail(WA_EINVAL, fn, "data is NULL");
  if (r->error) return sticky(r);
  announced = plain_length(r);
  if (announced >= 0 && (unsigned long long)announced > max)
    return abandon_body(r, WA_EOVERFLOW, "the Content-Length is larger than the limit");
  /* Reserve what was announced, within bounds: a server may lie. */
  if (announced >= 0 && (unsigned long long)announced < cap - 2) cap = (size_t)announced + 2;
  if (cap > limit) cap = limit;
  buf = malloc(cap);
  if (!buf) return wa__fail(WA_ENOMEM, fn, NULL);
  for (;;) {
    long n;
    size_t want;
    if (cap - used < 2) { /* grow with the data received, geometrically */
      size_t ncap = cap <= limit / 2 ? cap * 2 : limit;
      char *nb = ncap > cap ? realloc(buf, ncap) : NULL;
      if (!nb) {
        free(buf);
        return set_sticky(r, wa__fail(WA_ENOMEM, fn, NULL));
      }
      buf = nb;
      cap = ncap;
    }
    want = cap - used - 1;
    if (max < SIZE_MAX && want > max - used + 1) want = max - used + 1;
    n = wa_response_read(r, buf + used, want);
    if (n < 0) {
      free(buf);
      return (int)n;
    }
    if (n == 0) break;
    used += (size_t)n;
    if (used > max) {
      free(buf);
      return abandon_body(r, WA_EOVERFLOW, "the body is larger than the limit");
    }
  }
  buf[used] = '\0';
  *data = buf;
  if (len) *len = used;
  return 0;
}

int wa_response_body(wa_response *r, char **data, size_t *len) {
  return wa_response_body_max(r, data, len, SIZE_MAX);
}

void wa_response_free(wa_response *r) {
  if (!r) return;
  if (has_reader(r)) return; /* a task is parked on it: freeing would leave it dangling */
  release(r);
  free(r->headers);
  free(r->errmsg);
  free(r->url);
  free(r);
}
