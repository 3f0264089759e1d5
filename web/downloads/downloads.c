/* downloads.c — the "downloads" demo: each download is a C task that waits
 * for a free slot (at most `limit` run at once), then streams its file with
 * wa_fetch() + wa_response_read() and records progress in memory the page
 * reads. Cancelling a download (wa_cancel) ends its current await point
 * with WA_ECANCELED; inside wa_fetch/wa_response_read that aborts the
 * request. A speed cap per download (a sleep per chunk) keeps the bars
 * visible on a fast local server. */
#include <stdlib.h>
#include "wasync.h"

#define MAX_DOWNLOADS 16
#define CHUNK (64 * 1024)

enum { IDLE, QUEUED, CONNECTING, RECEIVING, DONE, CANCELLED, FAILED };

/* Read by the page: 8 words per download. */
typedef struct {
  int32_t state;
  int32_t received;
  int32_t total;      /* Content-Length, or -1 */
  int32_t http_status;
  int32_t error;      /* WA_E* code when FAILED / CANCELLED */
  int32_t ms;         /* time spent receiving */
  int32_t pad[2];
} download;

static download downloads[MAX_DOWNLOADS];
static wa_task *tasks[MAX_DOWNLOADS];
static int limit = 2, running;
static int kib_per_s = 2048;
static wa_mutex lock;
static wa_cond slot_free;

static int take_slot(void) {
  int rc = wa_mutex_lock(&lock);
  if (rc) return rc;
  while (running >= limit) {
    rc = wa_cond_wait(&slot_free, &lock);
    if (rc) {
      wa_mutex_unlock(&lock);
      return rc;
    }
  }
  running++;
  wa_mutex_unlock(&lock);
  return 0;
}

static void give_slot(void) {
  running--;
  wa_cond_broadcast(&slot_free);
}

static int stream(download *d, const char *url) {
  wa_response *r;
  d->state = CONNECTING;
  int rc = wa_fetch(url, NULL, &r);
  if (rc) return rc;
  d->http_status = wa_response_status(r);
  const char *len = wa_response_header(r, "content-length");
  d->total = len ? atoi(len) : -1;
  d->state = RECEIVING;
  static char buf[CHUNK]; /* contents are thrown away; shared is fine */
  int64_t t0 = wa_now();
  for (;;) {
    long n = wa_response_read(r, buf, sizeof buf);
    if (n < 0) { rc = (int)n; break; }
    if (n == 0) break;
    d->received += (int32_t)n;
    d->ms = (int32_t)(wa_now() - t0);
    /* The speed cap: sleep until this many bytes are due. */
    int64_t due = (int64_t)d->received * 1000 / ((int64_t)kib_per_s * 1024);
    if (due > d->ms && (rc = wa_sleep(due - d->ms))) break;
  }
  d->ms = (int32_t)(wa_now() - t0);
  wa_response_free(r);
  if (rc == 0 && d->http_status != 200) rc = WA_ENET;
  return rc;
}

/* Downloads url as download #i; returns 0 or the WA_E* code it ended with. */
WA_EXPORT int start_download(int i, const char *url) {
  if (i < 0 || i >= MAX_DOWNLOADS || tasks[i]) return WA_EBUSY;
  download *d = &downloads[i];
  *d = (download){ .state = QUEUED, .total = -1 };
  tasks[i] = wa_current();
  int rc = take_slot();
  if (rc == 0) {
    rc = stream(d, url);
    give_slot();
  }
  d->error = rc;
  d->state = rc == 0 ? DONE : rc == WA_ECANCELED ? CANCELLED : FAILED;
  tasks[i] = NULL;
  return rc;
}

/* Cancels download #i if it is queued or running; 1 if it was. */
WA_EXPORT int cancel_download(int i) {
  if (i < 0 || i >= MAX_DOWNLOADS || !tasks[i]) return 0;
  wa_cancel(tasks[i]);
  return 1;
}

/* How many downloads may run at once (queued ones start when it grows). */
WA_EXPORT int set_limit(int n) {
  limit = n < 1 ? 1 : n;
  wa_cond_broadcast(&slot_free);
  return limit;
}

WA_EXPORT int set_speed(int kib) {
  kib_per_s = kib < 16 ? 16 : kib;
  return kib_per_s;
}

WA_EXPORT int running_count(void) { return running; }
WA_EXPORT download *downloads_state(void) { return downloads; }

int wa_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  wa_mutex_init(&lock);
  wa_cond_init(&slot_free);
  return 0;
}
