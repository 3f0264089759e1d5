/* responsive.c — the "responsive" demo: one C loop written as if it owned
 * the thread. It sleeps, fetches a file and crunches numbers, one after the
 * other, with plain blocking-style calls; only this task waits, so the page
 * keeps scrolling and its JavaScript counter keeps counting. Built a second
 * time with `wasync build --threads` (responsive-threads.mjs), its prime
 * count can run on real threads instead (wa_to_thread): every core busy,
 * the event-loop thread free. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "wasync.h"

static int rounds;

/* Counts primes below n, yielding to the page every 20 000 numbers. */
static int crunch(int n, int *count) {
  *count = 0;
  for (int i = 2; i < n; i++) {
    int prime = 1;
    for (int d = 2; d * d <= i; d++) {
      if (i % d == 0) { prime = 0; break; }
    }
    *count += prime;
    if (i % 20000 == 0) {
      int rc = wa_yield();
      if (rc) return rc;
    }
  }
  return 0;
}

/* The count on threads: the range in SLICES slices, each counted by
 * wa_to_thread from a task of its own (a group), so that every thread of
 * the pool works at once. fn's status is its slice's count; the slices'
 * bounds are static, read-only once made, since a cancelled slice's fn runs
 * on to its end after its task has gone. */
#define SLICES 8
static int bounds[SLICES + 1];

static int count_slice(void *arg) {
  int s = (int)(intptr_t)arg, n = 0;
  for (int i = bounds[s]; i < bounds[s + 1]; i++) {
    int prime = i >= 2;
    for (int d = 2; d * d <= i; d++) {
      if (i % d == 0) { prime = 0; break; }
    }
    n += prime;
  }
  return n;
}

static int counts[SLICES];

static int slice_task(void *arg) {
  int rc = wa_to_thread(count_slice, arg);
  if (rc < 0) return rc;
  counts[(intptr_t)arg] = rc;
  return 0;
}

static int crunch_threads(int n, int *count) {
  wa_group *g = wa_group_new();
  int rc;
  if (!g) return WA_ENOMEM;
  /* Slices of equal work, roughly: trial division costs about sqrt(i). */
  for (int s = 0; s <= SLICES; s++) bounds[s] = (int)((double)n * ((double)s / SLICES) * ((double)s / SLICES) * 0.35 +
                                                      (double)n * ((double)s / SLICES) * 0.65);
  for (intptr_t s = 0; s < SLICES; s++) wa_group_spawn(g, slice_task, (void *)s);
  rc = wa_group_wait(g);
  wa_group_free(g);
  *count = 0;
  for (int s = 0; s < SLICES; s++) *count += counts[s];
  return rc;
}

static int fetch_len(const char *url, long *len) {
  wa_response *r;
  int rc = wa_fetch(url, NULL, &r);
  if (rc) return rc;
  char *body;
  size_t n = 0;
  rc = wa_response_body(r, &body, &n);
  if (rc == 0) free(body);
  int status = wa_response_status(r);
  wa_response_free(r);
  *len = (long)n;
  return rc ? rc : status == 200 ? 0 : WA_ENET;
}

/* The loop the page starts and stops; returns how it ended. url is
 * data.txt's absolute URL (wa_fetch takes absolute URLs only); threads: the
 * prime count runs on the pool's threads (a --threads build). */
WA_EXPORT int run_loop_mode(const char *url, int threads) {
  int rc = 0;
  for (;;) {
    rounds++;
    int64_t t0 = wa_now();
    printf("round %d: wa_sleep(700) ...\n", rounds);
    if ((rc = wa_sleep(700))) break;
    printf("round %d: slept %lld ms\n", rounds, (long long)(wa_now() - t0));

    long len = 0;
    t0 = wa_now();
    if ((rc = fetch_len(url, &len))) break;
    printf("round %d: wa_fetch(\"data.txt\") -> %ld bytes in %lld ms\n", rounds, len, (long long)(wa_now() - t0));

    int primes;
    t0 = wa_now();
    if (threads) {
      if ((rc = crunch_threads(1500000, &primes))) break;
      printf("round %d: %d primes below 1 500 000 in %lld ms on threads (wa_to_thread, %d slices), "
             "the event-loop thread free\n", rounds, primes, (long long)(wa_now() - t0), SLICES);
      continue;
    }
    if ((rc = crunch(1500000, &primes))) break;
    printf("round %d: %d primes below 1 500 000 in %lld ms of C, page never froze\n",
           rounds, primes, (long long)(wa_now() - t0));
  }
  printf("loop stopped: %s\n", wa_err_name(rc));
  return rc;
}

WA_EXPORT int run_loop(const char *url) { return run_loop_mode(url, 0); }

WA_EXPORT int loop_rounds(void) { return rounds; }

int wa_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  return 0;
}
