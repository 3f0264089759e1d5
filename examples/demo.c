/* demo.c — `make demo`: many C tasks interleaving on one thread, each
 * written as plain blocking code. Workers sleep at their own pace, one is
 * cancelled midway, one runs inside a timeout scope that expires, and a
 * ticker shows the event loop never stops. Every line is timestamped.
 *
 * Part 2 (when given a base URL, as examples/demo.mjs does after starting a
 * local HTTP server): three C tasks download files of different sizes and
 * speeds with wa_fetch + wa_response_read, each reporting its progress,
 * while the ticker keeps ticking. */
#include <stdio.h>
#include <stdlib.h>
#include "wasync.h"

static int64_t t0;

static void say(const char *who, const char *what, int n) {
  printf("[%5lld ms] %-9s %s %d\n", (long long)(wa_now() - t0), who, what, n);
}

typedef struct {
  const char *name;
  int period_ms;
  int steps;
} worker_args;

static int worker(void *p) {
  worker_args *w = p;
  for (int i = 1; i <= w->steps; i++) {
    int rc = wa_sleep(w->period_ms);
    if (rc == WA_ECANCELED) {
      say(w->name, "was cancelled at step", i);
      return rc;
    }
    say(w->name, "step", i);
  }
  say(w->name, "done after steps:", w->steps);
  return 0;
}

static int impatient(void *p) {
  (void)p;
  wa_timeout scope;
  wa_timeout_begin(&scope, 250);
  say("impatient", "starts a 1000 ms job under a 250 ms timeout:", 250);
  int rc = wa_sleep(1000);
  if (wa_timeout_end(&scope)) say("impatient", "gave up: WA_ETIMEDOUT =", rc);
  return 0;
}

static int ticker(void *p) {
  int *stop = p;
  for (int n = 1; !*stop; n++) {
    if (wa_sleep(100) != 0) break;
    say("ticker", "tick", n);
  }
  return 0;
}

typedef struct {
  const char *name;
  char url[256];
  long long bytes;
} download_args;

static int download(void *p) {
  download_args *d = p;
  wa_response *r;
  char buf[8192];
  long n;
  long long total, next_report;
  const char *len;
  int rc = wa_fetch(d->url, NULL, &r);
  if (rc) {
    printf("[%5lld ms] %-9s fetch failed: %s (%s)\n", (long long)(wa_now() - t0), d->name, wa_err_name(rc), wa_last_error());
    return rc;
  }
  len = wa_response_header(r, "content-length");
  total = len ? atoll(len) : 0;
  printf("[%5lld ms] %-9s HTTP %d, %lld KiB to go\n", (long long)(wa_now() - t0), d->name, wa_response_status(r), total / 1024);
  next_report = total / 4;
  while ((n = wa_response_read(r, buf, sizeof buf)) > 0) {
    d->bytes += n;
    if (total && d->bytes >= next_report && d->bytes < total) {
      printf("[%5lld ms] %-9s %3lld%% (%lld KiB)\n", (long long)(wa_now() - t0), d->name, d->bytes * 100 / total, d->bytes / 1024);
      next_report += total / 4;
    }
  }
  wa_response_free(r);
  if (n < 0) {
    say(d->name, "download failed, code", (int)n);
    return (int)n;
  }
  printf("[%5lld ms] %-9s done: %lld KiB\n", (long long)(wa_now() - t0), d->name, d->bytes / 1024);
  return 0;
}

static int fetch_part(const char *base) {
  static int stop;
  static download_args d[3] = {{"dl-small", "", 0}, {"dl-medium", "", 0}, {"dl-large", "", 0}};
  static const int kib[3] = {128, 512, 1024}, ms[3] = {25, 10, 8};
  wa_task *ts[3];
  printf("\npart 2: 3 C tasks download from %s while the ticker ticks\n", base);
  t0 = wa_now();
  stop = 0;
  wa_task *tick = wa_spawn(ticker, &stop);
  for (int i = 0; i < 3; i++) {
    snprintf(d[i].url, sizeof d[i].url, "%s/file/%s?kib=%d&ms=%d", base, d[i].name, kib[i], ms[i]);
    wa_task_opts o = {d[i].name, 32 * 1024}; /* room for the 8 KiB buffer */
    ts[i] = wa_spawn_opts(download, &d[i], &o);
  }
  int rc = wa_join_all(ts, 3);
  stop = 1;
  wa_join(tick);
  say("main", "downloads finished, status", rc);
  return rc;
}

int wa_main(int argc, char **argv) {
  static worker_args fast = {"fast", 70, 6}, slow = {"slow", 160, 3}, doomed = {"doomed", 90, 100};
  static int stop;
  t0 = wa_now();
  printf("wasync demo: 5 C tasks on one thread, switched inside wasm\n");
  wa_task *tick = wa_spawn(ticker, &stop);
  wa_task *jobs[3] = {wa_spawn(worker, &fast), wa_spawn(worker, &slow), wa_spawn(impatient, NULL)};
  wa_task *victim = wa_spawn(worker, &doomed);
  wa_sleep(300);
  say("main", "cancels doomed; live tasks:", wa_task_count());
  wa_cancel(victim);
  wa_join(victim);
  wa_join_all(jobs, 3);
  stop = 1;
  wa_join(tick);
  say("main", "all joined; live tasks:", wa_task_count());
  if (argc > 1) return fetch_part(argv[1]) ? 1 : 0;
  return 0;
}
