// eh_calls.cpp — what a call costs under a setjmp and inside a C++ try, per
// backend and lowering (README "setjmp and C++ exceptions"). Not a make bench
// row: run by hand, e.g.
//   wasync build bench/eh_calls.cpp -fexceptions [--backend=jspi] -o eh.mjs && node eh.mjs
// A JSPI build of objects lowered through JS already (Suspending invoke_*):
//   wasync c++ -fexceptions -c bench/eh_calls.cpp -o eh.o
//   wasync c++ --backend=jspi -fexceptions eh.o -o eh.mjs && node eh.mjs small
#include <csetjmp>
#include <cstdio>
#include "wasync.h"

static volatile int sink;
__attribute__((noinline)) static int leaf(int x) { sink = x; return x + 1; }
static int (*volatile fp)(int) = leaf;

__attribute__((noinline)) static int plain(int x) { return fp(x); }
__attribute__((noinline)) static int under_setjmp(int x) {
  jmp_buf b;
  if (setjmp(b)) return -1;
  return fp(x);
}
__attribute__((noinline)) static int in_try(int x) {
  try { return fp(x); } catch (...) { return -1; }
}

static void run(const char *name, int (*f)(int), int n) {
  int64_t t0 = wa_now();
  long s = 0;
  for (int i = 0; i < n; i++) s += f(i);
  int64_t ms = wa_now() - t0;
  std::printf("%-14s %8.1f ns/call  (%d calls, %lld ms, sum %ld)\n", name, ms * 1e6 / n, n, (long long)ms, s);
}

int wa_main(int argc, char **) {
  int n = argc > 1 ? 200000 : 2000000;
  for (int rep = 0; rep < 2; rep++) {
    run("plain", plain, n);
    run("under setjmp", under_setjmp, n);
    run("in try", in_try, n);
  }
  return 0;
}
