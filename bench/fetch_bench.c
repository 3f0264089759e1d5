/* fetch_bench.c — C side of the fetch benchmark (bench/fetch_bench.mjs):
 * wa_main(url, total, inflight) does `total` GETs of url with `inflight` C
 * tasks, each looping wa_fetch + wa_response_read-to-the-end + free, and
 * prints BENCH {"requests", "ms", "rps", "errors"}. */
#include <stdio.h>
#include <stdlib.h>
#include "wasync.h"

static const char *url;
static int total, next_req, errors;

static int worker(void *arg) {
  char buf[16 * 1024];
  (void)arg;
  while (next_req < total) {
    wa_response *r;
    long n;
    next_req++;
    if (wa_fetch(url, NULL, &r) != 0) { errors++; continue; }
    while ((n = wa_response_read(r, buf, sizeof buf)) > 0) {}
    if (n < 0 || wa_response_status(r) != 200) errors++;
    wa_response_free(r);
  }
  return 0;
}

int wa_main(int argc, char **argv) {
  int inflight;
  wa_task **ts;
  int64_t t0;
  double ms;
  if (argc < 4) {
    fprintf(stderr, "usage: fetch_bench URL TOTAL INFLIGHT\n");
    return 2;
  }
  url = argv[1];
  total = atoi(argv[2]);
  inflight = atoi(argv[3]);
  next_req = errors = 0;
  ts = malloc(sizeof *ts * (size_t)inflight);
  t0 = wa_now();
  for (int i = 0; i < inflight; i++) {
    wa_task_opts o = {"fetcher", 32 * 1024};
    ts[i] = wa_spawn_opts(worker, NULL, &o);
  }
  wa_join_all(ts, inflight);
  ms = (double)(wa_now() - t0);
  free(ts);
  printf("BENCH {\"requests\": %d, \"ms\": %.1f, \"rps\": %.1f, \"errors\": %d}\n", total, ms,
         ms > 0 ? total * 1000.0 / ms : 0.0, errors);
  return errors ? 1 : 0;
}
