/* responsive.c — the "responsive" demo: one C loop written as if it owned
 * the thread. It sleeps, fetches a file and crunches numbers, one after the
 * other, with plain blocking-style calls; only this task waits, so the page
 * keeps scrolling and its JavaScript counter keeps counting. */
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
 * data.txt's absolute URL (wa_fetch takes absolute URLs only). */
WA_EXPORT int run_loop(const char *url) {
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
    if ((rc = crunch(1500000, &primes))) break;
    printf("round %d: %d primes below 1 500 000 in %lld ms of C, page never froze\n",
           rounds, primes, (long long)(wa_now() - t0));
  }
  printf("loop stopped: %s\n", wa_err_name(rc));
  return rc;
}

WA_EXPORT int loop_rounds(void) { return rounds; }

int wa_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  return 0;
}
