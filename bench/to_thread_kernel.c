/* to_thread_kernel.c — the CPU-bound kernel of the wa_to_thread row (primes
 * below limit, by trial division), compiled into both sides: the wasync
 * program (to_thread_bench.c includes it) and the JS Worker pool's wasm
 * (to_thread_peer.mjs). */
#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#define KERNEL_EXPORT EMSCRIPTEN_KEEPALIVE
#else
#define KERNEL_EXPORT
#endif

KERNEL_EXPORT int count_primes(int limit) {
  int n = 0;
  for (int i = 2; i < limit; i++) {
    int prime = 1;
    for (int d = 2; d * d <= i; d++) {
      if (i % d == 0) { prime = 0; break; }
    }
    n += prime;
  }
  return n;
}
