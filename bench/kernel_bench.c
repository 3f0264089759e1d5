/* kernel_bench.c — the Asyncify tax: a compute kernel that never awaits,
 * timed in two builds of this file (see rows/kernel_tax.mjs):
 *  - plain:  emcc -O3, main() calls the kernel;
 *  - wasync: `wasync build -O3 -DWASYNC_BUILD` (the runtime's link flags,
 *            -sASYNCIFY=1 …, linked with the runtime); wa_main() calls it
 *            from inside a task.
 * Binaryen instruments only code that can reach an await point, so the
 * kernel (no calls at all) should come out byte-identical in both builds:
 * kernel_tax.mjs compares its body, found through the `kernel` export, and
 * times it. The call goes through a volatile pointer so it is never inlined.
 * Usage: <build> <iterations> <reps>; one "BENCH {json}" line per rep. */
#include <emscripten.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Integer (an LCG and a xorshift) and floating-point work in one loop-carried
 * chain, so neither the compiler nor the engine can skip or vectorise it. */
EMSCRIPTEN_KEEPALIVE __attribute__((noinline)) uint32_t kernel(uint32_t n) {
  uint32_t x = 12345u, y = 0x9e3779b9u;
  double f = 0.5;
  for (uint32_t i = 0; i < n; i++) {
    x = x * 1664525u + 1013904223u;
    y ^= y << 13;
    y ^= y >> 17;
    y ^= y << 5;
    f = f * 0.999999 + (double)(x >> 8) * 1e-9;
    if ((x ^ y) & 0x100u) f -= 1e-7;
  }
  return x ^ y ^ (uint32_t)(f * 1e6);
}

static uint32_t (*volatile kernel_fn)(uint32_t) = kernel;

static int run(long iters, int reps) {
  for (int r = -1; r < reps; r++) { /* r == -1: warm-up, not reported */
    double t0 = emscripten_get_now();
    uint32_t v = kernel_fn((uint32_t)iters);
    double t1 = emscripten_get_now();
    if (r >= 0) {
      printf("BENCH {\"rep\":%d,\"iters\":%ld,\"ms\":%.3f,\"result\":%u}\n", r, iters, t1 - t0, v);
      fflush(stdout);
    }
  }
  return 0;
}

#ifdef WASYNC_BUILD
#include "wasync.h"
int wa_main(int argc, char **argv) {
  return run(argc > 1 ? atol(argv[1]) : 100000000, argc > 2 ? atoi(argv[2]) : 5);
}
#else
int main(int argc, char **argv) {
  return run(argc > 1 ? atol(argv[1]) : 100000000, argc > 2 ? atoi(argv[2]) : 5);
}
#endif
