/* The C half of the Vite bundle test: an exported function that awaits. */
#include "wasync.h"

WA_EXPORT int slow_square(int x) {
  if (wa_sleep(20) != 0) return -1;
  return x * x;
}

int wa_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  return 0;
}
