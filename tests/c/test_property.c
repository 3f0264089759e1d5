/* Randomized property test for channels and select.
 *
 * A seeded xorshift generator drives NW worker tasks through random
 * send / recv / try_send / try_recv / select / cancel / timeout-scope / yield
 * operations over NC channels of random capacities (0 = rendezvous). Every
 * element is (producer, channel, seq), where seq counts that producer's
 * *successful* sends on that channel, so a send that reported an error must
 * not have delivered anything. Checked:
 *  - no element is lost or duplicated: at the end each (producer, channel)
 *    has received exactly seq 0 .. next_seq-1, each once;
 *  - no reordering: every receiver sees each (producer, channel) stream in
 *    strictly increasing order;
 *  - nothing is left waiting: all workers end, channels close cleanly.
 * Phase 1: each worker does OPS_PER_WORKER random operations. Phase 2: it
 * only receives (select over the channels it has not seen closed) until the
 * main task, once every worker left phase 1, closes all channels.
 * The main task is a watchdog: when a whole round of yields and a 1 ms
 * sleep made no progress (everyone blocked without a partner), it cancels
 * a random phase-1 worker, which is just another source of cancellations. */
#include <stdint.h>
#include "task.h"

#ifndef OPS_PER_WORKER
#define OPS_PER_WORKER 62500 /* 16 workers: 1,000,000 phase-1 operations */
#endif
#define NW 16
#define NC 4
#define SEED 0x2545f4914f6cdd1dull

typedef struct {
  uint32_t p, c, seq;
} item;

static struct {
  wa_chan *ch[NC];
  wa_task *workers[NW];
  int in_phase1[NW];
  int phase1_left;
  uint64_t ops, sent, received, cancels, timeouts, eagain, watchdog;
  uint32_t next_seq[NW][NC];         /* producer's next seq per channel */
  int64_t last_seen[NW][NW][NC];     /* [receiver][producer][channel] */
  unsigned char *seen[NW][NC];       /* receipts per (producer, channel) */
  size_t seen_cap[NW][NC];
} P;

static uint64_t rng_state[NW + 1];

/* xorshift64*: reproducible, and independent of rand(). */
static uint32_t rnd(int who) {
  uint64_t x = rng_state[who];
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng_state[who] = x;
  return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}

static int is_interruption(int rc) { return rc == WA_ECANCELED || rc == WA_ETIMEDOUT; }

/* ---- bookkeeping -------------------------------------------------------------- */

static void mark_seen(const item *it) {
  size_t cap = P.seen_cap[it->p][it->c];
  if (it->seq >= cap) {
    size_t ncap = cap ? cap : 1024;
    while (ncap <= it->seq) ncap *= 2;
    unsigned char *s = realloc(P.seen[it->p][it->c], ncap);
    ASSERT(s != NULL);
    memset(s + cap, 0, ncap - cap);
    P.seen[it->p][it->c] = s;
    P.seen_cap[it->p][it->c] = ncap;
  }
  ASSERT_EQ(P.seen[it->p][it->c][it->seq], 0); /* duplicate */
  P.seen[it->p][it->c][it->seq] = 1;
}

static void got(int w, int c, const item *it) {
  ASSERT_EQ(it->c, c);
  ASSERT_LT(it->p, NW);
  ASSERT_GT((int64_t)it->seq, P.last_seen[w][it->p][c]); /* reordered or duplicated */
  P.last_seen[w][it->p][c] = it->seq;
  mark_seen(it);
  P.received++;
}

static void sent(int w, int c, const item *it) {
  ASSERT_EQ(it->seq, P.next_seq[w][c]);
  P.next_seq[w][c]++;
  P.sent++;
}

static void count_failure(int rc) {
  if (rc == WA_EAGAIN) P.eagain++;
  else if (rc == WA_ECANCELED) P.cancels++;
  else if (rc == WA_ETIMEDOUT) P.timeouts++;
  else WA_TEST_FAIL_("unexpected %s (%d)", wa_err_name(rc), rc);
}

/* ---- operations ------------------------------------------------------------------ */

static void op_send(int w, int c, int blocking) {
  item it = {(uint32_t)w, (uint32_t)c, P.next_seq[w][c]};
  int rc = blocking ? wa_chan_send(P.ch[c], &it) : wa_chan_try_send(P.ch[c], &it);
  if (rc == 0) sent(w, c, &it);
  else count_failure(rc);
}

static void op_recv(int w, int c, int blocking) {
  item it = {0, 0, 0};
  int rc = blocking ? wa_chan_recv(P.ch[c], &it) : wa_chan_try_recv(P.ch[c], &it);
  if (rc == 0) got(w, c, &it);
  else count_failure(rc);
}

static void op_select(int w) {
  wa_select_case cs[NC];
  item items[NC];
  int chan_of[NC], n = 1 + (int)(rnd(w) % NC), k;
  for (int i = 0; i < n; i++) {
    int c = (int)(rnd(w) % NC);
    chan_of[i] = c;
    items[i] = (item){(uint32_t)w, (uint32_t)c, P.next_seq[w][c]};
    cs[i] = (wa_select_case){P.ch[c], (int)(rnd(w) & 1), &items[i]};
  }
  k = wa_select(cs, n);
  if (k < 0) {
    ASSERT(is_interruption(k));
    count_failure(k);
    return;
  }
  ASSERT_LT(k, n);
  ASSERT_EQ(wa_select_result(), 0); /* nothing is closed in phase 1 */
  if (cs[k].is_send) sent(w, chan_of[k], &items[k]);
  else got(w, chan_of[k], &items[k]);
}

/* A blocking operation inside a 0 or 1 ms timeout scope. */
static void op_timed(int w) {
  wa_timeout to;
  uint32_t r = rnd(w);
  wa_timeout_begin(&to, (int64_t)(r & 1));
  switch ((r >> 1) % 3) {
    case 0: op_send(w, (int)((r >> 3) % NC), 1); break;
    case 1: op_recv(w, (int)((r >> 3) % NC), 1); break;
    default: op_select(w); break;
  }
  wa_timeout_end(&to);
}

static void random_op(int w) {
  uint32_t r = rnd(w);
  int c = (int)((r >> 8) % NC);
  switch (r % 16) {
    case 0: case 1: case 2: op_send(w, c, 1); break;
    case 3: case 4: case 5: op_recv(w, c, 1); break;
    case 6: case 7: op_send(w, c, 0); break;
    case 8: case 9: op_recv(w, c, 0); break;
    case 10: case 11: case 12: op_select(w); break;
    case 13: op_timed(w); break;
    case 14: wa_cancel(P.workers[(r >> 16) % NW]); break;
    default: {
      int rc = wa_yield();
      if (rc) count_failure(rc);
    }
  }
  P.ops++;
}

/* Receives until every channel is closed and drained. */
static void drain(int w) {
  int open[NC], nopen = NC;
  for (int c = 0; c < NC; c++) open[c] = 1;
  while (nopen > 0) {
    wa_select_case cs[NC];
    item items[NC];
    int chan_of[NC], n = 0, k;
    for (int c = 0; c < NC; c++) {
      if (!open[c]) continue;
      chan_of[n] = c;
      cs[n] = (wa_select_case){P.ch[c], 0, &items[n]};
      n++;
    }
    k = wa_select(cs, n);
    P.ops++;
    if (k < 0) {
      ASSERT_ERR(k, WA_ECANCELED);
      continue;
    }
    if (wa_select_result() == WA_ECLOSED) {
      ASSERT_EQ(items[k].seq, 0); /* zero-filled */
      open[chan_of[k]] = 0;
      nopen--;
    } else {
      got(w, chan_of[k], &items[k]);
    }
  }
}

static int worker(void *arg) {
  int w = (int)(intptr_t)arg;
  for (int i = 0; i < OPS_PER_WORKER; i++) random_op(w);
  P.in_phase1[w] = 0;
  P.phase1_left--;
  drain(w);
  return 0;
}

/* ---- the main task ------------------------------------------------------------- */

static void watchdog_step(void) {
  uint64_t before = P.ops;
  ASSERT_EQ(wa_yield(), 0);
  if (P.ops != before || P.phase1_left == 0) return;
  /* Everyone is blocked: give armed timeout scopes a chance to expire. */
  ASSERT_EQ(wa_sleep(1), 0);
  if (P.ops != before || P.phase1_left == 0) return;
  for (uint32_t start = rnd(NW), i = 0; i < NW; i++) {
    int w = (int)((start + i) % NW);
    if (P.in_phase1[w]) {
      wa_cancel(P.workers[w]);
      P.watchdog++;
      return;
    }
  }
}

static void check_every_element_received_once(void) {
  for (int p = 0; p < NW; p++) {
    for (int c = 0; c < NC; c++) {
      for (uint32_t s = 0; s < P.next_seq[p][c]; s++) {
        if (s >= P.seen_cap[p][c] || !P.seen[p][c][s])
          WA_TEST_FAIL_("lost: producer %d channel %d seq %u", p, c, s);
      }
      for (size_t s = P.next_seq[p][c]; s < P.seen_cap[p][c]; s++) {
        if (P.seen[p][c][s]) WA_TEST_FAIL_("received unsent: producer %d channel %d seq %zu", p, c, s);
      }
      free(P.seen[p][c]);
    }
  }
}

TEST_IMPL(chan_property_random_ops) {
  wa_task_opts opts = {"prop", 32 * 1024};
  int64_t t0 = wa_now();
  size_t caps[NC];
  memset(&P, 0, sizeof P);
  for (int i = 0; i <= NW; i++) rng_state[i] = SEED ^ ((uint64_t)(i + 1) * 0x9e3779b97f4a7c15ull);
  memset(P.last_seen, 0xff, sizeof P.last_seen); /* -1: nothing seen yet */
  for (int c = 0; c < NC; c++) {
    caps[c] = c == 0 ? 0 : rnd(NW) % 5; /* at least one rendezvous */
    P.ch[c] = wa_chan_new(sizeof(item), caps[c]);
    ASSERT(P.ch[c] != NULL);
  }
  P.phase1_left = NW;
  for (int w = 0; w < NW; w++) {
    P.in_phase1[w] = 1;
    P.workers[w] = wa_spawn_opts(worker, (void *)(intptr_t)w, &opts);
    ASSERT(P.workers[w] != NULL);
  }
  while (P.phase1_left > 0) watchdog_step();
  for (int c = 0; c < NC; c++) wa_chan_close(P.ch[c]);
  ASSERT_EQ(wa_join_all(P.workers, NW), 0);
  ASSERT_EQ(wa_task_count(), 1);
  ASSERT_EQ(P.received, P.sent);
  check_every_element_received_once();
  for (int c = 0; c < NC; c++) wa_chan_free(P.ch[c]);
  printf("chan_property_random_ops: %llu ops (%llu phase 1), %llu elements, capacities %zu %zu %zu %zu; "
         "%llu EAGAIN, %llu ECANCELED (%llu from the watchdog), %llu ETIMEDOUT; %lld ms\n",
         (unsigned long long)P.ops, (unsigned long long)NW * OPS_PER_WORKER,
         (unsigned long long)P.sent, caps[0], caps[1], caps[2], caps[3], (unsigned long long)P.eagain,
         (unsigned long long)P.cancels, (unsigned long long)P.watchdog, (unsigned long long)P.timeouts,
         (long long)(wa_now() - t0));
  ASSERT_GE(P.ops, (uint64_t)NW * OPS_PER_WORKER);
  return 0;
}
