/* to_thread_bench.c — the wasync side of the wa_to_thread row
 * (bench/rows/to_thread.mjs), built with `wasync build --threads`:
 *   node to_thread_bench.mjs <jobs> <kernel_ms>
 * finds the kernel's size for about kernel_ms on the event-loop thread,
 * then times `jobs` kernels run serially there, and `jobs` kernels through
 * wa_to_thread (one task each) while a ticker task sleeps 5 ms at a time on
 * the event-loop thread and records its worst lateness. Prints one
 * BENCH {json} line: limit, serial_ms, thread_ms, late_ms, pool (the
 * machine's parallelism, the pool's default size). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <wasync.h>
#include "to_thread_kernel.c"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int limit;
static volatile int sink;
static volatile int ticking;
static double worst_late;

static int kernel_fn(void *arg) {
  (void)arg;
  return count_primes(limit);
}

static int member(void *arg) {
  (void)arg;
  int rc = wa_to_thread(kernel_fn, NULL);
  return rc < 0 ? rc : 0;
}

static int ticker(void *arg) {
  (void)arg;
  while (ticking) {
    double due = now_ms() + 5;
    if (wa_sleep(5) != 0) return 0;
    double late = now_ms() - due;
    if (late > worst_late) worst_late = late;
  }
  return 0;
}

int wa_main(int argc, char **argv) {
  int jobs = argc > 1 ? atoi(argv[1]) : 8;
  double want = argc > 2 ? atof(argv[2]) : 150;
  double t0, serial, threaded;
  wa_task *tick;
  wa_group *g;
  int rc;
  /* The kernel's size: time grows as limit^1.5. */
  limit = 100000;
  for (int i = 0; i < 4; i++) {
    t0 = now_ms();
    sink = count_primes(limit);
    double ms = now_ms() - t0;
    limit = (int)(limit * pow(want / (ms > 1 ? ms : 1), 2.0 / 3.0));
  }
  rc = wa_to_thread(kernel_fn, NULL); /* starts the pool; warm */
  if (rc < 0) {
    fprintf(stderr, "wa_to_thread: %s\n", wa_strerror(rc));
    return 1;
  }
  t0 = now_ms();
  for (int i = 0; i < jobs; i++) sink = count_primes(limit);
  serial = now_ms() - t0;

  ticking = 1;
  tick = wa_spawn(ticker, NULL);
  g = wa_group_new();
  t0 = now_ms();
  for (int i = 0; i < jobs; i++) wa_group_spawn(g, member, NULL);
  rc = wa_group_wait(g);
  threaded = now_ms() - t0;
  wa_group_free(g);
  ticking = 0;
  wa_join(tick);
  if (rc < 0) {
    fprintf(stderr, "wa_to_thread: %s\n", wa_strerror(rc));
    return 1;
  }
  printf("BENCH {\"limit\":%d,\"jobs\":%d,\"serial_ms\":%.1f,\"thread_ms\":%.1f,\"late_ms\":%.2f}\n", limit, jobs, serial,
         threaded, worst_late);
  return 0;
}
