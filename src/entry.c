/* entry.c — the host's entry points: start the program's entry (wa_main,
 * or a C main()), tick, timer. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "backend.h"
#include "host.h"

/* A library (cwrap'd functions only) defines no wa_main: the reference is
 * weak, so such a module links, and wa__on_start_main reports it. A
 * program without wa_main may define a C main() instead (wa__c_main);
 * the build refuses a program that defines both (js/cli/build.mjs). */
#pragma weak wa_main

typedef struct {
  wa__main_fn fn;
  int argc;
  char **argv; /* one block: pointers then strings */
} main_args;

static int main_body(void *arg) {
  main_args *a = arg;
  int rc = a->fn(a->argc, a->argv);
  free(a);
  return rc;
}

int wa__on_start_main(int argc, char **argv, uint32_t token, uint32_t *task) {
  size_t bytes = sizeof(main_args) + (size_t)(argc + 1) * sizeof(char *);
  main_args *a;
  char *p;
  wa__task *t;
  int in_tick;
  wa_task_opts opts = {"main", WA__MAIN_STACK > wa__stack_default ? WA__MAIN_STACK : wa__stack_default};
  wa__main_fn fn = wa_main ? wa_main : wa__c_main();
  if (!fn) return WA_ENOTSUP; /* a library: nothing to run */
  for (int i = 0; i < argc; i++) bytes += strlen(argv[i]) + 1;
  a = malloc(bytes);
  if (!a) return WA_ENOMEM;
  a->fn = fn;
  a->argc = argc;
  a->argv = (char **)(a + 1);
  p = (char *)(a->argv + argc + 1);
  for (int i = 0; i < argc; i++) {
    size_t n = strlen(argv[i]) + 1;
    memcpy(p, argv[i], n);
    a->argv[i] = p;
    p += n;
  }
  a->argv[argc] = NULL;
  /* The host ticks right after this call (host.h): the spawn asks for no
   * tick of its own, which would only find the queue empty. */
  in_tick = wa__in_tick;
  wa__in_tick = 1;
  t = wa__task_spawn(main_body, a, &opts);
  wa__in_tick = in_tick;
  if (!t) {
    free(a);
    return WA_ENOMEM;
  }
  t->is_main = 1;
  t->host_token = token;
  t->detached = 1; /* the host learns the status through the token */
  *task = (uint32_t)(uintptr_t)wa__task_handle(t);
  return 0;
}

void wa__on_exit(int status) { exit(status); }

void wa__on_tick(double now) { wa__run_ready(now, 0); }

void wa__on_timer(double now) { wa__run_ready(now, 1); }
