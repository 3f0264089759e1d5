/* fuzz_sched.c — libFuzzer target: a byte-coded script of task, channel,
 * select, group, timeout and cancel operations, run against the real
 * scheduler (native backend, ASan+UBSan), with invariants checked after
 * every input:
 *  - no value is received twice, and every successful send is received
 *    (after close, what is left in the buffers is drained);
 *  - each receiver sees one producer's values in the order they were sent
 *    (FIFO; across receivers only "no duplicate" holds, since a woken
 *    receiver may record its value after another one recorded a later one);
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
#include "host_native.h"

#define MAX_TASKS 12
#define MAX_CHANS 4
#define MAX_PRODUCERS 64
#define MAX_RECEIVERS 300

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

/* Opcodes (low 4 bits), operands from the following bytes. */
static int run_script(void *unused) {
  (void)unused;
  int op;
  while ((op = byte()) >= 0) {
    int a = byte(), b = byte();
    if (a < 0) a = 0;
    if (b < 0) b = 0;
    switch (op & 15) {
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
  for (int i = 0; i < MAX_TASKS; i++) {
    if (!W.tasks[i]) continue;
    wa_cancel(W.tasks[i]);
    wa_join(W.tasks[i]);
    W.tasks[i] = NULL;
  }
  while (wa_task_count() > 1) wa_sleep(1); /* detached tasks finishing */
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
