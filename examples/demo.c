/* demo.c — `make demo`: many C tasks interleaving on one thread, each
 * written as plain blocking code. Workers sleep at their own pace, one is
 * cancelled midway, one runs inside a timeout scope that expires, and a
 * ticker shows the event loop never stops. Every line is timestamped. */
#include <stdio.h>
#include "wasync.h"

static int64_t t0;

static void say(const char *who, const char *what, int n) {
  printf("[%5lld ms] %-9s %s %d\n", (long long)(wa_now() - t0), who, what, n);
}

typedef struct {
  const char *name;
  int period_ms;
  int steps;
} worker_args;

static int worker(void *p) {
  worker_args *w = p;
  for (int i = 1; i <= w->steps; i++) {
    int rc = wa_sleep(w->period_ms);
    if (rc == WA_ECANCELED) {
      say(w->name, "was cancelled at step", i);
      return rc;
    }
    say(w->name, "step", i);
  }
  say(w->name, "done after steps:", w->steps);
  return 0;
}

static int impatient(void *p) {
  (void)p;
  wa_timeout scope;
  wa_timeout_begin(&scope, 250);
  say("impatient", "starts a 1000 ms job under a 250 ms timeout:", 250);
  int rc = wa_sleep(1000);
  if (wa_timeout_end(&scope)) say("impatient", "gave up: WA_ETIMEDOUT =", rc);
  return 0;
}

static int ticker(void *p) {
  int *stop = p;
  for (int n = 1; !*stop; n++) {
    if (wa_sleep(100) != 0) break;
    say("ticker", "tick", n);
  }
  return 0;
}

int wa_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  static worker_args fast = {"fast", 70, 6}, slow = {"slow", 160, 3}, doomed = {"doomed", 90, 100};
  static int stop;
  t0 = wa_now();
  printf("wasync demo: 5 C tasks on one thread, switched inside wasm\n");
  wa_task *tick = wa_spawn(ticker, &stop);
  wa_task *jobs[3] = {wa_spawn(worker, &fast), wa_spawn(worker, &slow), wa_spawn(impatient, NULL)};
  wa_task *victim = wa_spawn(worker, &doomed);
  wa_sleep(300);
  say("main", "cancels doomed; live tasks:", wa_task_count());
  wa_cancel(victim);
  wa_join(victim);
  wa_join_all(jobs, 3);
  stop = 1;
  wa_join(tick);
  say("main", "all joined; live tasks:", wa_task_count());
  return 0;
}
