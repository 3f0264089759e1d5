/* cmain.c — where a wasm link finds the program's C main(), so that a
 * program written without wasync in mind runs as the main task (entry.c).
 *
 * clang on wasm does not give main one symbol name (LLVM's
 * WebAssembly lowering, as Emscripten's crt1.c and __main_void.c expect):
 *  - main(int, char **) is `__main_argc_argv` (LLVM 15 and later, e.g.
 *    Emscripten 6) or plain `main` (older, e.g. Emscripten 3.1.6);
 *  - main(void) (C++'s main() too) is `__original_main` (alias
 *    `__main_void` where that exists) plus a `main(int, char **)` wrapper
 *    clang adds beside it, which calls it.
 * So a program has a main(int, char **) under one of two names. Both are
 * weak references: a library (no main) links, and nothing here pulls an
 * archive member in. Neither name is `main` to the compiler (asm labels),
 * so clang renames neither reference. main(int, char **, char **) keeps
 * the name main with three parameters: build.mjs refuses it at link time,
 * since this reference would resolve to a trapping stub. */
#include "backend.h"

extern int wa__c_main_argc_argv(int argc, char **argv) __asm__("__main_argc_argv") __attribute__((weak));
extern int wa__c_main_legacy(int argc, char **argv) __asm__("main") __attribute__((weak));

/* Direct calls, never a pointer to main: under LTO with an older clang, a
 * main(void) is still `main` with no parameters when this module meets
 * it, and only a direct call gets the backend's (int, char **) wrapper;
 * the pointer would be main itself, and calling it traps. */
static int run_c_main(int argc, char **argv) {
  if (wa__c_main_argc_argv) return wa__c_main_argc_argv(argc, argv);
  return wa__c_main_legacy(argc, argv);
}

wa__main_fn wa__c_main(void) {
  return wa__c_main_argc_argv || wa__c_main_legacy ? run_c_main : NULL;
}
