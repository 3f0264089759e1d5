/* fuzz_sched.c — libFuzzer target: a byte-coded script of task, channel,
 * select, group, timeout and cancel operations, and of misuse (issue 12):
 * join_all with foreign joins, groups freed under their waiters, mutex
 * holders that end holding it, timeout scopes that outlive their task,
 * extreme stack sizes and times, NULL primitives. It runs against the real
 * scheduler (native backend, ASan+UBSan), with invariants checked during and
 * after every input:
 *  - no value is received twice, and every successful send is received
 *    (after close, what is left in the buffers is drained);
 *  - each receiver sees one producer's values in the order they were sent
 *    (FIFO; across receivers only "no duplicate" holds, since a woken
 *    receiver may record its value after another one recorded a later one);
 *  - a handle given to a running wa_join_all cannot be joined by another
 *    task; a freed group's waiter returns a documented code;
 *  - a mutex is held by at most one live task, never by a task that did
 *    not lock it, and stays held once its holder ended holding it;
 *  - huge sleeps and timeouts never end by themselves; sizes that would
 *    wrap are refused; NULL primitives are WA_EINVAL;
 *  - when the script ends and everything is cancelled and joined, no task,
 *    timer or waiter is left (wa_task_count() == 1, no armed timer).
 * Each input starts from, and must leave, an empty runtime.
 *
 * Script: the main task reads opcodes byte by byte (see run_script). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wasync.h"
#include "internal.h"
#include "native/native.h"

#define MAX_TASKS 12
#define MAX_CHANS 4
#define MAX_PRODUCERS 64
#define MAX_RECEIVERS 300
#define MAX_GATHERS 16
#define MAX_GIVEN 16
#define MAX_SCOPES 4

#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      fprintf(stderr, "fuzz_sched: invariant failed: %s (line %d)\n", #cond, __LINE__); \
      abort();                                                                      \
    }                                                                               \
  } while (0)

typedef struct {
  uint16_t producer;
  uint16_t seq;
} item;

typedef struct {
  int chan;
  int producer;
  int count;
} producer_args;

typedef struct {
  int chan;
  int count;
  int receiver;
} consumer_args;

typedef struct {
  wa_task *ts[4];
  int n;
  wa_task *self;        /* the gatherer task */
  int started, reclaimed;
} gather_args;

typedef struct {
  const uint8_t *data;
  size_t size, pos;
  wa_chan *chans[MAX_CHANS];
  wa_task *tasks[MAX_TASKS];
  /* last sequence number seen per (receiver, producer), +1; 0 = none yet */
  uint8_t last_seen[MAX_RECEIVERS][MAX_PRODUCERS];
  uint8_t seen[MAX_PRODUCERS][256];
  long sent_ok, received;
  int next_receiver; /* 0 is the main script */
  int next_producer;
  /* Task arguments live here: a task cancelled before it starts never
   * runs, and arg stays owned by the spawner (wasync.h). */
  producer_args producers[MAX_PRODUCERS];
  consumer_args consumers[256];
  int next_consumer;
  gather_args gathers[MAX_GATHERS];
  int next_gather;
  wa_task *given[MAX_GIVEN];  /* handles handed to a gatherer (may go stale) */
  int next_given;
  wa_mutex mx;
  uint32_t mx_holder;         /* id of the task that holds mx by our books, 0 if none */
  wa_timeout scopes[MAX_SCOPES];
  /* 1: given to a task that will begin it and never end it; 2: begun.
   * Main ends it once begun (beginning an open scope again is a misuse
   * with no defined result, so the script never does that). */
  int scope_open[MAX_SCOPES];
  /* Every huge sleeper of the script, cancelled at the end: all of them (a
   * ring of 8 lost the older ones, and one detached then slept on for good,
   * a false timeout). At most one per 3 bytes of script. */
  wa_task *forever[512 / 3 + 1];
  int n_forever;
} world;

static world W;

static int byte(void) { return W.pos < W.size ? W.data[W.pos++] : -1; }

static void record(int receiver, item it) {
  CHECK(it.producer < MAX_PRODUCERS && it.seq < 255);
  CHECK(!W.seen[it.producer][it.seq]);                  /* never twice */
  W.seen[it.producer][it.seq] = 1;
  CHECK(W.last_seen[receiver][it.producer] <= it.seq); /* FIFO per receiver */
  W.last_seen[receiver][it.producer] = (uint8_t)(it.seq + 1u);
  W.received++;
}

static int producer(void *p) {
  producer_args *a = p;
  for (int i = 0; i < a->count; i++) {
    item it = {(uint16_t)a->producer, (uint16_t)i};
    int rc = wa_chan_send(W.chans[a->chan], &it);
    if (rc == WA_ECLOSED || rc == WA_ECANCELED) break;
    CHECK(rc == 0);
    W.sent_ok++;
  }
  return 0;
}

static int consumer(void *p) {
  consumer_args *a = p;
  for (int i = 0; i < a->count; i++) {
    item it;
    int rc = wa_chan_recv(W.chans[a->chan], &it);
    if (rc == WA_ECLOSED || rc == WA_ECANCELED) break;
    CHECK(rc == 0);
    record(a->receiver, it);
  }
  return 0;
}

static int selector(void *p) {
  int rounds = (int)(intptr_t)p & 0xff, receiver = (int)(intptr_t)p >> 8;
  for (int r = 0; r < rounds; r++) {
    item bufs[MAX_CHANS];
    wa_select_case cases[MAX_CHANS];
    for (int c = 0; c < MAX_CHANS; c++) cases[c] = (wa_select_case){W.chans[c], 0, &bufs[c]};
    wa_timeout to;
    wa_timeout_begin(&to, 2);
    int k = wa_select(cases, MAX_CHANS);
    wa_timeout_end(&to);
    if (k == WA_ECANCELED) break;
    if (k >= 0 && wa_select_result() == 0) record(receiver, bufs[k]);
  }
  return 0;
}

static int napper(void *p) {
  return wa_sleep((int64_t)(intptr_t)p) == WA_ECANCELED ? 1 : 0;
}

static int failing(void *p) {
  wa_yield();
  return (int)(intptr_t)p;
}

static int gatherer(void *p) {
  gather_args *g = p;
  int rc;
  g->started = 1;
  rc = wa_join_all(g->ts, g->n);
  CHECK(rc != WA_EINVAL && rc != WA_ENOTASK); /* it owns every handle it was given */
  return rc;
}

static int group_waiter(void *p) {
  int rc = wa_group_wait(p);
  CHECK(rc == 0 || rc == 1 || rc == 2 || rc == WA_ECANCELED || rc == WA_ETIMEDOUT || rc == WA_ECLOSED);
  return 0;
}

/* Outlives a cancel by a few sleeps, like a member cleaning up. */
static int stubborn(void *p) {
  (void)p;
  for (int i = 0; i < 4; i++) wa_sleep(1);
  return 0;
}

/* v: bits 0-1 lock timeout, 2-3 how long to hold, bit 4 end holding it. */
static int mutex_user(void *p) {
  int v = (int)(intptr_t)p, rc;
  uint32_t me = wa_task_id(wa_current());
  wa_timeout to;
  wa_timeout_begin(&to, 1 + (v & 3));
  rc = wa_mutex_lock(&W.mx);
  wa_timeout_end(&to);
  if (rc != 0) {
    CHECK(rc == WA_ETIMEDOUT || rc == WA_ECANCELED);
    CHECK(wa_mutex_unlock(&W.mx) == WA_EINVAL);
    return 0;
  }
  CHECK(W.mx_holder == 0); /* nobody else holds it, dead or alive */
  W.mx_holder = me;
  if ((v >> 2) & 3) wa_sleep((v >> 2) & 3);
  if (v & 16) return 0; /* ends holding it: it stays held for good */
  W.mx_holder = 0;
  CHECK(wa_mutex_unlock(&W.mx) == 0);
  return 0;
}

/* Begins W.scopes[k] and ends without closing it. */
static int scope_leaver(void *p) {
  int v = (int)(intptr_t)p, k = v & 3;
  wa_timeout_begin(&W.scopes[k], (v >> 2) & 3);
  W.scope_open[k] = 2;
  if ((v >> 4) & 3) wa_sleep((v >> 4) & 3);
  return 0;
}

static const int64_t extreme_ms[] = {INT64_MAX, INT64_MAX / 1000 + 1, INT64_MAX / 2, (int64_t)1 << 53,
                                     ((int64_t)1 << 31) + 5, INT64_MIN, -1, 0};
#define N_HUGE_MS 5 /* the first five never end within a run */

static int huge_sleeper(void *p) {
  const int64_t *ms = p;
  int rc = wa_sleep(*ms);
  if (ms < &extreme_ms[N_HUGE_MS]) CHECK(rc == WA_ECANCELED);
  else CHECK(rc == 0 || rc == WA_ECANCELED);
  return 0;
}

static int quick(void *p) { return (int)(intptr_t)p; }

static void put_task(wa_task *t) {
  int slot = -1;
  if (!t) return;
  for (int i = 0; i < MAX_TASKS; i++)
    if (!W.tasks[i]) { slot = i; break; }
  if (slot < 0) {
    /* Full: the oldest is cancelled and joined to make room. */
    wa_cancel(W.tasks[0]);
    wa_join(W.tasks[0]);
    slot = 0;
  }
  W.tasks[slot] = t;
}

static void run_group(int n) {
  wa_group *g = wa_group_new();
  CHECK(g != NULL);
  for (int i = 0; i < n; i++) {
    int b = byte();
    if (b < 0) break;
    if (b & 1) wa_group_spawn(g, failing, (void *)(intptr_t)((b >> 1) % 3));
    else wa_group_spawn(g, napper, (void *)(intptr_t)(b % 3));
  }
  int rc = wa_group_wait(g);
  CHECK(rc == 0 || rc == 1 || rc == 2 || rc == WA_ECANCELED || rc == WA_ETIMEDOUT);
  wa_group_free(g);
}

/* Takes up to n of the script's tasks away and gives them to a gatherer. */
static void gather(int n) {
  gather_args *g;
  if (W.next_gather >= MAX_GATHERS) return;
  g = &W.gathers[W.next_gather];
  for (int i = 0; i < MAX_TASKS && g->n < n; i++) {
    if (!W.tasks[i]) continue;
    g->ts[g->n++] = W.tasks[i];
    W.given[W.next_given++ % MAX_GIVEN] = W.tasks[i];
    W.tasks[i] = NULL;
  }
  if (!g->n) return;
  W.next_gather++;
  g->self = wa_spawn(gatherer, g);
  CHECK(g->self != NULL);
  put_task(g->self);
}

/* A handle a started gatherer owns: another task may not join it. */
static void foreign_join(int a, int b) {
  wa_task *h = W.given[a % MAX_GIVEN];
  int started = 1;
  if (!h) return;
  for (int i = 0; i < W.next_gather; i++)
    for (int j = 0; j < W.gathers[i].n; j++)
      if (W.gathers[i].ts[j] == h && !W.gathers[i].started) started = 0;
  if (!started) return;
  if (b & 1) wa_cancel(h);
  if (b & 2) wa_detach(h); /* ignored */
  CHECK(wa_join(h) == WA_EINVAL);
}

/* A group with members and a waiter, freed while the waiter waits (or
 * after it was cancelled, or after it returned). */
static void free_group_under_waiter(int a, int b) {
  wa_group *g = wa_group_new();
  wa_task *w;
  CHECK(g != NULL);
  for (int i = 0; i < 1 + a % 3; i++) {
    int kind = (b >> (2 * i)) & 3;
    if (kind == 0) wa_group_spawn(g, napper, (void *)(intptr_t)(i % 3));
    else if (kind == 1) wa_group_spawn(g, failing, (void *)(intptr_t)(i % 3));
    else wa_group_spawn(g, stubborn, NULL);
  }
  w = wa_spawn(group_waiter, g);
  CHECK(w != NULL);
  wa_yield(); /* w is inside wa_group_wait (or already back) before the free */
  if (a & 8) wa_cancel(w);
  for (int i = 0; i < ((a >> 4) & 3); i++) wa_yield();
  wa_group_free(g);
  put_task(w);
}

static void main_uses_mutex(void) {
  CHECK(wa_mutex_unlock(&W.mx) == WA_EINVAL); /* main never holds it here */
  if (wa_mutex_trylock(&W.mx) == 0) {
    CHECK(W.mx_holder == 0);
    CHECK(wa_mutex_unlock(&W.mx) == 0);
  }
}

static void end_left_scope(int a) {
  int k = a % MAX_SCOPES, rc;
  if (W.scope_open[k] != 2) return;
  rc = wa_timeout_end(&W.scopes[k]);
  CHECK(rc == 0 || rc == 1);
  W.scope_open[k] = 0;
}

static void extreme_sizes(int b) {
  static const size_t bad[] = {(size_t)-1, (size_t)-16, (size_t)0xFFFFFFF0u, (size_t)0xFFFFFFFFu,
                               WA_STACK_MAX + 1, (size_t)-1 / 2 + 1, WA_STACK_MIN - 1, 1};
  static const size_t good[] = {0, WA_STACK_MIN, WA_STACK_MAX};
  wa_task_opts o = {"extreme", bad[b % 8]};
  CHECK(wa_spawn_opts(quick, NULL, &o) == NULL);
  if (b & 8) {
    o.stack_size = good[(b >> 4) % 3];
    put_task(wa_spawn_opts(quick, NULL, &o));
  }
}

static void extreme_times(int a, int b) {
  const int64_t *ms = &extreme_ms[b % 8];
  if (a & 1) {
    wa_task *t = wa_spawn(huge_sleeper, (void *)ms);
    CHECK(t != NULL);
    CHECK(W.n_forever < (int)(sizeof W.forever / sizeof W.forever[0]));
    W.forever[W.n_forever++] = t;
    put_task(t);
  } else {
    wa_timeout to;
    int rc;
    wa_timeout_begin(&to, *ms);
    rc = (a & 2) ? wa_sleep(1) : wa_yield();
    if (ms < &extreme_ms[N_HUGE_MS]) {
      CHECK(rc == 0);
      CHECK(wa_timeout_end(&to) == 0);
    } else {
      CHECK(rc == 0 || rc == WA_ETIMEDOUT);
      CHECK(wa_timeout_end(&to) == 1 || rc == 0);
    }
  }
}

static void null_primitives(void) {
  wa_timeout_begin(NULL, 1);
  CHECK(wa_timeout_end(NULL) == WA_EINVAL);
  CHECK(wa_mutex_lock(NULL) == WA_EINVAL);
  CHECK(wa_mutex_trylock(NULL) == WA_EINVAL);
  CHECK(wa_mutex_unlock(NULL) == WA_EINVAL);
  CHECK(wa_event_wait(NULL) == WA_EINVAL);
  CHECK(wa_event_is_set(NULL) == 0);
  wa_event_set(NULL);
  CHECK(wa_sem_acquire(NULL) == WA_EINVAL);
  wa_sem_release(NULL);
  CHECK(wa_cond_wait(NULL, &W.mx) == WA_EINVAL);
  wa_cond_broadcast(NULL);
  CHECK(wa_waitgroup_add(NULL, 1) == WA_EINVAL);
  CHECK(wa_waitgroup_wait(NULL) == WA_EINVAL);
  CHECK(wa_join_all(NULL, 1) == WA_EINVAL);
  wa_group_free(NULL);
}

/* Opcodes (low 5 bits), operands from the following bytes. 0-15 are the
 * original script operations (saved inputs keep their meaning: their
 * opcode bytes have bit 4 clear); 16-25 are misuse. */
static int run_script(void *unused) {
  (void)unused;
  int op;
  while ((op = byte()) >= 0) {
    int a = byte(), b = byte();
    if (a < 0) a = 0;
    if (b < 0) b = 0;
    switch (op & 31) {
      case 0: case 1: {
        if (W.next_producer >= MAX_PRODUCERS) break;
        producer_args *p = &W.producers[W.next_producer];
        *p = (producer_args){a % MAX_CHANS, W.next_producer++, 1 + b % 40};
        put_task(wa_spawn(producer, p));
        break;
      }
      case 2: case 3: {
        if (W.next_consumer >= 256 || W.next_receiver + 1 >= MAX_RECEIVERS) break;
        consumer_args *c = &W.consumers[W.next_consumer++];
        *c = (consumer_args){a % MAX_CHANS, 1 + b % 40, ++W.next_receiver};
        put_task(wa_spawn(consumer, c));
        break;
      }
      case 4:
        if (W.next_receiver + 1 >= MAX_RECEIVERS) break;
        put_task(wa_spawn(selector, (void *)(intptr_t)((1 + b % 8) | (++W.next_receiver << 8))));
        break;
      case 5: if (W.tasks[a % MAX_TASKS]) wa_cancel(W.tasks[a % MAX_TASKS]); break;
      case 6: {
        /* Bounded: a script may join a producer nobody consumes from. */
        wa_task **t = &W.tasks[a % MAX_TASKS];
        wa_timeout to;
        if (!*t) break;
        wa_timeout_begin(&to, b % 3);
        wa_join(*t); /* consumed either way (cancelled and detached on timeout) */
        wa_timeout_end(&to);
        *t = NULL;
        break;
      }
      case 7: wa_yield(); break;
      case 8: wa_sleep(b % 3); break;
      case 9: {
        wa_timeout to;
        wa_timeout_begin(&to, b % 3);
        item it;
        int rc = wa_chan_recv(W.chans[a % MAX_CHANS], &it);
        if (rc == 0) record(0, it);
        wa_timeout_end(&to);
        break;
      }
      case 10: {
        item it;
        if (wa_chan_try_recv(W.chans[a % MAX_CHANS], &it) == 0) record(0, it);
        break;
      }
      case 11: wa_chan_close(W.chans[a % MAX_CHANS]); break;
      case 12: run_group(1 + b % 4); break;
      case 13: put_task(wa_spawn(napper, (void *)(intptr_t)(b % 3))); break;
      case 16: gather(1 + a % 4); break;
      case 17: foreign_join(a, b); break;
      case 18: free_group_under_waiter(a, b); break;
      case 19: put_task(wa_spawn(mutex_user, (void *)(intptr_t)(b & 31))); break;
      case 20: main_uses_mutex(); break;
      case 21: {
        int k = a % MAX_SCOPES;
        if (W.scope_open[k]) break;
        W.scope_open[k] = 1;
        put_task(wa_spawn(scope_leaver, (void *)(intptr_t)(k | (b & 0x3c))));
        break;
      }
      case 22: end_left_scope(a); break;
      case 23: extreme_sizes(b); break;
      case 24: extreme_times(a, b); break;
      case 25: null_primitives(); break;
      default: {
        wa_task *t = W.tasks[a % MAX_TASKS];
        if (t) { wa_detach(t); W.tasks[a % MAX_TASKS] = NULL; }
        break;
      }
    }
  }
  /* Wind down: close every channel (senders and receivers wake), cancel
   * and join every task we still hold; detached ones end by themselves. */
  for (int c = 0; c < MAX_CHANS; c++) wa_chan_close(W.chans[c]);
  for (int i = 0; i < W.n_forever; i++) wa_cancel(W.forever[i]); /* stale ones are ignored */
  for (int i = 0; i < MAX_TASKS; i++) {
    if (!W.tasks[i]) continue;
    wa_cancel(W.tasks[i]);
    wa_join(W.tasks[i]);
    W.tasks[i] = NULL;
  }
  while (wa_task_count() > 1) { /* detached tasks finishing */
    /* A gatherer cancelled before it started never took its handles:
     * they are the script's again. */
    for (int i = 0; i < W.next_gather; i++) {
      gather_args *g = &W.gathers[i];
      if (g->started || g->reclaimed || wa_task_id(g->self) != 0) continue;
      g->reclaimed = 1;
      for (int j = 0; j < g->n; j++) {
        wa_cancel(g->ts[j]);
        wa_join(g->ts[j]);
      }
    }
    for (int i = 0; i < W.n_forever; i++) wa_cancel(W.forever[i]);
    wa_sleep(1);
  }
  /* What is still buffered in the closed channels is delivered last. */
  for (int c = 0; c < MAX_CHANS; c++) {
    item it;
    while (wa_chan_try_recv(W.chans[c], &it) == 0) record(0, it);
  }
  CHECK(W.sent_ok == W.received); /* nothing lost */
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int status = -1;
  memset(&W, 0, sizeof W);
  W.data = data;
  W.size = size > 512 ? 512 : size;
  wa_mutex_init(&W.mx);
  for (int c = 0; c < MAX_CHANS; c++) CHECK((W.chans[c] = wa_chan_new(sizeof(item), (size_t)c * 2)) != NULL);
  CHECK(wa__native_run(run_script, NULL, NULL, &status) == 0);
  CHECK(status == 0);
  CHECK(wa_task_count() == 0);
  CHECK(wa__timers_count() == 0);
  for (int c = 0; c < MAX_CHANS; c++) wa_chan_free(W.chans[c]);
  return 0;
}

/* entry.c refers to wa_main; the fuzzer never starts a program. */
int wa_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  return 0;
}
