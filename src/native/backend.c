/* backend.c — stack switching with ucontext, so the backend-blind core and
 * its tests run natively under ASan/UBSan and valgrind.
 *
 * Stacks are mmap'd with a PROT_NONE guard page below them; an overflow
 * faults there and the SIGSEGV handler (on its own alternate stack) names
 * the task before exiting with status 70. Native code needs far more stack
 * than wasm (locals live on it), so every stack is at least
 * NATIVE_STACK_MIN; mmap only commits what is touched. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>
#include "../internal.h"
#include "../backend.h"

#define NATIVE_STACK_MIN ((size_t)256 * 1024)

#if defined(__SANITIZE_ADDRESS__)
#define WA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WA_ASAN 1
#endif
#endif

#ifdef WA_ASAN
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old, size_t *size_old);
#else
static void __sanitizer_start_switch_fiber(void **f, const void *b, size_t s) { (void)f; (void)b; (void)s; }
static void __sanitizer_finish_switch_fiber(void *f, const void **b, size_t *s) { (void)f; (void)b; (void)s; }
#endif

struct wa__ctx {
  ucontext_t uc;
  char *map;        /* guard page + stack */
  size_t map_len;
  size_t requested; /* the stack_size asked for, for messages */
  void *fake_stack; /* ASan bookkeeping while suspended */
  int done, status;  /* set when the task's function has returned */
  size_t used;       /* deepest stack seen at a suspend (wa_task_stack_used) */
};

static ucontext_t sched_uc;
static const void *sched_bottom;
static size_t sched_size;
static void *sched_fake;
static size_t page_size;

static void on_segv(int sig, siginfo_t *info, void *uctx) {
  char *addr = info->si_addr;
  (void)uctx;
  for (wa__task *t = wa__task_first(); t; t = t->all_next) {
    struct wa__ctx *c = t->ctx;
    if (c && addr >= c->map - page_size && addr < c->map + page_size) {
      char msg[160];
      int n = snprintf(msg, sizeof msg, "wasync: task %u \"%s\" overflowed its C stack (%zu-byte stack)\n",
                       t->id, t->name, c->requested);
      if (n > 0) (void)!write(2, msg, (size_t)n);
      _exit(70);
    }
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

static void install_segv_handler(void) {
  static int installed;
  static char altstack[64 * 1024];
  stack_t ss;
  struct sigaction sa;
  if (installed) return;
  installed = 1;
  page_size = (size_t)sysconf(_SC_PAGESIZE);
  ss.ss_sp = altstack;
  ss.ss_size = sizeof altstack;
  ss.ss_flags = 0;
  sigaltstack(&ss, NULL);
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, NULL);
}

struct wa__ctx *wa__ctx_create(size_t stack_size) {
  struct wa__ctx *c = calloc(1, sizeof *c);
  size_t len;
  if (!c) return NULL;
  install_segv_handler();
  c->requested = stack_size;
  if (stack_size < NATIVE_STACK_MIN) stack_size = NATIVE_STACK_MIN;
  if (stack_size > SIZE_MAX - 2 * page_size) { /* would wrap */
    free(c);
    return NULL;
  }
  len = ((stack_size + page_size - 1) / page_size + 1) * page_size;
  c->map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (c->map == MAP_FAILED) {
    free(c);
    return NULL;
  }
  mprotect(c->map, page_size, PROT_NONE);
  c->map_len = len;
  return c;
}

void wa__ctx_destroy(wa__task *t) {
  struct wa__ctx *c = t->ctx;
  if (!c) return;
  munmap(c->map, c->map_len);
  free(c);
  t->ctx = NULL;
}

/* Under ASan a finished task's stack is unmapped, never reused, so a stale
 * pointer into it faults instead of reading the next task's frames. The
 * guard page stays as it is: nothing unprotects it. */
int wa__ctx_recycle(wa__task *t) {
#ifdef WA_ASAN
  (void)t;
  return -1;
#else
  struct wa__ctx *c = t->ctx;
  memset(&c->uc, 0, sizeof c->uc); /* wa__ctx_run makes a new context */
  c->fake_stack = NULL;
  c->done = c->status = 0;
  c->used = 0;
  return 0;
#endif
}

/* Natively the process's main() is the host's (src/native/host.c). */
wa__main_fn wa__c_main(void) { return NULL; }

size_t wa__ctx_stack_size(const wa__task *t) { return t->ctx ? t->ctx->requested : 0; }

size_t wa__ctx_stack_used(const wa__task *t) { return t->ctx ? t->ctx->used : 0; }

/* A suspend is a context switch: nothing unwinds through the import. */
void wa__ctx_import_park(wa__task *t, uint32_t key) {
  (void)t;
  (void)key;
}
void wa__ctx_import_resumed(wa__task *t) { (void)t; }

static void trampoline(unsigned hi, unsigned lo) {
  wa__task *t = (wa__task *)(((uintptr_t)hi << 32) | (uintptr_t)lo);
  __sanitizer_finish_switch_fiber(NULL, &sched_bottom, &sched_size);
  t->ctx->status = t->fn(t->arg);
  t->ctx->done = 1;
  /* The task is finished: leave its stack for good. */
  __sanitizer_start_switch_fiber(NULL, sched_bottom, sched_size);
  setcontext(&sched_uc);
}

int wa__ctx_run(wa__task *t, int *status) {
  struct wa__ctx *c = t->ctx;
  char *stack = c->map + page_size;
  size_t size = c->map_len - page_size;
  if (!c->uc.uc_stack.ss_sp) {
    uintptr_t p = (uintptr_t)t;
    getcontext(&c->uc);
    c->uc.uc_stack.ss_sp = stack;
    c->uc.uc_stack.ss_size = size;
    c->uc.uc_link = NULL;
    makecontext(&c->uc, (void (*)(void))trampoline, 2, (unsigned)(p >> 32), (unsigned)(p & 0xffffffffu));
  }
  __sanitizer_start_switch_fiber(&sched_fake, stack, size);
  swapcontext(&sched_uc, &c->uc);
  __sanitizer_finish_switch_fiber(sched_fake, NULL, NULL);
  if (!c->done) return 0;
  *status = c->status;
  return 1;
}

__attribute__((noinline)) int wa__ctx_switch_out(wa__task *t, wa__prepare_fn prepare) {
  struct wa__ctx *c;
  if (prepare) {
    int rc = prepare(t);
    if (rc != WA__SUSPEND) return rc;
  }
  c = t->ctx;
  {
    size_t used = (size_t)(c->map + c->map_len - (char *)__builtin_frame_address(0));
    if (used > c->used) c->used = used;
  }
  /* A task that ended through wa__task_exit (DONE) leaves its stack for
   * good: ASan may then drop its fake stack. */
  __sanitizer_start_switch_fiber(t->state == WA__DONE ? NULL : &c->fake_stack, sched_bottom, sched_size);
  swapcontext(&c->uc, &sched_uc);
  __sanitizer_finish_switch_fiber(c->fake_stack, &sched_bottom, &sched_size);
  return t->wake_code;
}
