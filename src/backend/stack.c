/* stack.c — the state behind stack.h, shared by both wasm backends: the
 * checker's limits function and the scheduler's own limits, which the JS
 * host hands over once at start-up (stack.js). */
#include <stdint.h>
#include <emscripten/stack.h>
#include "../host/host.h"
#include "stack.h"

void (*wa__stack_set_limits)(uintptr_t base, uintptr_t end);
uintptr_t wa__stack_main_base, wa__stack_main_end;
int wa__stack_canaries = 1;

void wa__backend_set_limits_fn(uintptr_t table_index) {
  wa__stack_set_limits = (void (*)(uintptr_t, uintptr_t))table_index;
  wa__stack_canaries = !wa__stack_set_limits;
  wa__stack_main_base = emscripten_stack_get_base();
  wa__stack_main_end = emscripten_stack_get_end();
}
