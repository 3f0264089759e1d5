/* wasync_bench.c — wasync side of `make bench` (driven by bench/run.mjs).
 * Every mode prints "BENCH {json}" lines (one per repetition unless noted);
 * the JavaScript peers of each mode are in js_peers.mjs.
 *
 *   switch <switches> <reps> [depth]
 *       two tasks ping-pong with wa_yield(), each making the call `depth`
 *       frames below its task function (0: in the task function itself).
 *       A "switch" is one wa_yield() that hands the CPU to the other task;
 *       both tasks yield switches/2 times. ns/switch.
 *   ring <tasks> <passes> <capacity> <reps>
 *       a ring of tasks joined by channels of the given capacity passes one
 *       token `passes` times around (one pass = one send); ns/pass.
 *   tree <leaves> <reps>
 *       Skynet: every node spawns 10 children (WA_STACK_MIN stacks) and sums
 *       what they return, down to `leaves` leaves; ms per tree. The root's
 *       10 subtrees run one after another (see the note at bench_tree).
 *   chan <messages> <capacity> <reps>
 *       ping-pong between two tasks over two channels of the given capacity;
 *       ns/message (one send + the matching receive).
 *   sleepers <n> <sleep_ms> [stack_size]
 *       n tasks asleep at once, each with a stack of stack_size bytes (0 or
 *       absent: the default, 64 KiB); prints heap and resident-memory growth
 *       per task, then cancels and joins them all (one line). 100 000 tasks
 *       need small stacks: 64 KiB each would be 6.4 GB of address space.
 *   lateness <n> <base_ms> <spread_ms>
 *       n tasks (6 KiB stacks) sleep base + (i % spread) ms each and record wake-up time
 *       minus deadline (performance.now() clock); prints p50/p99/max (one line).
 *   libcsleep <tasks> <seconds>
 *       that many tasks call the libc's sleep(seconds) at once; prints the wall
 *       time until all are joined and the JS event loop's worst stall
 *       meanwhile (the longest gap between runs of a 1 ms setInterval).
 */
#define _DEFAULT_SOURCE 1 /* sbrk() under -std=c11 */
#include <emscripten.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasync.h"

static double now_ms(void) { return emscripten_get_now(); } /* sub-ms (performance.now) */

/* ---- switch ping-pong ---------------------------------------------------- */

static long g_iters;
static int g_depth;
static volatile int g_sink; /* work after each recursive call: no tail calls */

static int yield_loop(void) {
  for (long i = 0; i < g_iters; i++) {
    int rc = wa_yield();
    if (rc) return rc;
  }
  return 0;
}

/* depth more frames, then the loop. Binaryen does not inline recursion. */
static __attribute__((noinline)) int descend(int depth) {
  if (depth == 0) return yield_loop();
  int rc = descend(depth - 1);
  g_sink += depth;
  return rc;
}

static int yielder(void *arg) {
  (void)arg;
  if (g_depth == 0) return yield_loop();
  int rc = descend(g_depth - 1);
  g_sink += 1;
  return rc;
}

static int bench_switch(long switches, int reps, int depth) {
  g_iters = switches / 2;
  g_depth = depth;
  for (int r = -1; r < reps; r++) { /* r == -1: warm-up, not reported */
    wa_task *ts[2];
    ts[0] = wa_spawn(yielder, NULL);
    ts[1] = wa_spawn(yielder, NULL);
    if (!ts[0] || !ts[1]) { fprintf(stderr, "spawn failed\n"); return 1; }
    double t0 = now_ms();
    int rc = wa_join_all(ts, 2);
    double t1 = now_ms();
    if (rc) { fprintf(stderr, "join: %s\n", wa_strerror(rc)); return 1; }
    if (r >= 0) {
      printf("BENCH {\"rep\":%d,\"depth\":%d,\"switches\":%ld,\"ms\":%.3f,\"ns_per_switch\":%.2f}\n", r,
             depth, g_iters * 2, t1 - t0, (t1 - t0) * 1e6 / (double)(g_iters * 2));
      fflush(stdout);
    }
  }
  return 0;
}

/* ---- ring of tasks ----------------------------------------------------------- */

typedef struct {
  wa_chan *in, *out;
} ring_node;

static wa_event g_ring_done;

/* Receives the token (passes left) and sends it on, one less; the task that
 * receives 0 reports the end. Ends when its channels are closed. */
static int ring_task(void *arg) {
  ring_node *n = arg;
  for (;;) {
    long tok;
    int rc = wa_chan_recv(n->in, &tok);
    if (rc == WA_ECLOSED) return 0;
    if (rc) return rc;
    if (tok == 0) {
      wa_event_set(&g_ring_done);
      continue;
    }
    tok--;
    rc = wa_chan_send(n->out, &tok);
    if (rc == WA_ECLOSED) return 0;
    if (rc) return rc;
  }
}

static int bench_ring(int n, long passes, size_t cap, int reps) {
  wa_chan **ch = malloc((size_t)n * sizeof *ch);
  ring_node *nodes = malloc((size_t)n * sizeof *nodes);
  wa_task **ts = malloc((size_t)n * sizeof *ts);
  if (!ch || !nodes || !ts) { fprintf(stderr, "out of memory\n"); return 1; }
  for (int i = 0; i < n; i++) {
    if (!(ch[i] = wa_chan_new(sizeof(long), cap))) { fprintf(stderr, "chan_new failed\n"); return 1; }
  }
  for (int i = 0; i < n; i++) {
    nodes[i].in = ch[i];
    nodes[i].out = ch[(i + 1) % n];
    if (!(ts[i] = wa_spawn(ring_task, &nodes[i]))) { fprintf(stderr, "spawn %d failed\n", i); return 1; }
  }
  wa_event_init(&g_ring_done);
  wa_yield(); /* every ring task starts and parks in wa_chan_recv */
  for (int r = -1; r < reps; r++) {
    wa_event_clear(&g_ring_done);
    double t0 = now_ms();
    long tok = passes;
    int rc = wa_chan_send(ch[0], &tok);
    if (!rc) rc = wa_event_wait(&g_ring_done);
    double t1 = now_ms();
    if (rc) { fprintf(stderr, "ring: %s\n", wa_strerror(rc)); return 1; }
    if (r >= 0) {
      printf("BENCH {\"rep\":%d,\"tasks\":%d,\"passes\":%ld,\"capacity\":%zu,\"ms\":%.3f,\"ns_per_pass\":%.2f}\n",
             r, n, passes, cap, t1 - t0, (t1 - t0) * 1e6 / (double)passes);
      fflush(stdout);
    }
  }
  for (int i = 0; i < n; i++) wa_chan_close(ch[i]);
  int rc = wa_join_all(ts, n);
  for (int i = 0; i < n; i++) wa_chan_free(ch[i]);
  free(ch);
  free(nodes);
  free(ts);
  if (rc) { fprintf(stderr, "ring join: %s\n", wa_strerror(rc)); return 1; }
  return 0;
}

/* ---- spawn + join tree (Skynet) ------------------------------------------------ */

typedef struct {
  long num, size; /* first leaf number, leaves below */
  int64_t sum;    /* result (long is 32 bits in wasm32) */
} tree_node;

static const wa_task_opts g_tree_opts = { "tree", WA_STACK_MIN };
static long g_tree_spawned;
static int g_tree_peak; /* most live tasks seen (sampled at every leaf) */

static int tree_task(void *arg) {
  tree_node *n = arg;
  if (n->size == 1) {
    int live = wa_task_count();
    if (live > g_tree_peak) g_tree_peak = live;
    n->sum = n->num;
    return 0;
  }
  tree_node kids[10];
  wa_task *ts[10];
  long sub = n->size / 10;
  for (int i = 0; i < 10; i++) {
    kids[i] = (tree_node){ n->num + i * sub, sub, 0 };
    if (!(ts[i] = wa_spawn_opts(tree_task, &kids[i], &g_tree_opts))) {
      if (i > 0) wa_join_all(ts, i);
      return WA_ENOMEM;
    }
  }
  g_tree_spawned += 10;
  int rc = wa_join_all(ts, 10);
  if (rc) return rc;
  n->sum = 0;
  for (int i = 0; i < 10; i++) n->sum += kids[i].sum;
  return 0;
}

/* All 1 111 111 tasks of a million-leaf tree alive at once would need
 * about 2.5 GB even with WA_STACK_MIN stacks, more than wasm32's 2 GiB
 * memory limit here, and FIFO scheduling builds the tree breadth-first, so
 * every node would be alive at the same time. The root therefore runs its
 * 10 subtrees one after another: at most 111 112 tasks (each subtree with
 * its 100 000 leaves) are alive at once. The JavaScript peer has the same
 * shape. */
static int bench_tree(long leaves, int reps) {
  long sub = leaves / 10;
  for (int r = -1; r < reps; r++) {
    g_tree_spawned = 0;
    g_tree_peak = 0;
    double t0 = now_ms();
    int64_t sum = 0;
    for (int i = 0; i < 10; i++) {
      tree_node root = { i * sub, sub, 0 };
      wa_task *t = wa_spawn_opts(tree_task, &root, &g_tree_opts);
      if (!t) { fprintf(stderr, "spawn failed\n"); return 1; }
      int rc = wa_join(t);
      if (rc) { fprintf(stderr, "tree: %s\n", wa_strerror(rc)); return 1; }
      sum += root.sum;
      g_tree_spawned++;
    }
    double t1 = now_ms();
    int64_t want = (int64_t)leaves * (leaves - 1) / 2;
    if (sum != want) { fprintf(stderr, "tree: sum %lld, expected %lld\n", (long long)sum, (long long)want); return 1; }
    if (r >= 0) {
      printf("BENCH {\"rep\":%d,\"leaves\":%ld,\"tasks\":%ld,\"ms\":%.3f,\"ns_per_task\":%.2f,\"peak\":%d}\n",
             r, leaves, g_tree_spawned, t1 - t0, (t1 - t0) * 1e6 / (double)g_tree_spawned, g_tree_peak);
      fflush(stdout);
    }
  }
  return 0;
}

/* ---- channel ping-pong ------------------------------------------------------------ */

static wa_chan *g_ping, *g_pong;

static int echo_task(void *arg) {
  (void)arg;
  for (;;) {
    long v;
    int rc = wa_chan_recv(g_ping, &v);
    if (rc == WA_ECLOSED) return 0;
    if (rc) return rc;
    if ((rc = wa_chan_send(g_pong, &v))) return rc == WA_ECLOSED ? 0 : rc;
  }
}

/* The pinging side is a task of its own, like the echo (and like the two
 * async functions of the JS peer): a small function, so each switch saves
 * only its few locals. */
static long g_rounds;
static int ping_task(void *arg) {
  (void)arg;
  for (long i = 0; i < g_rounds; i++) {
    long v = i;
    int rc = wa_chan_send(g_ping, &v);
    if (!rc) rc = wa_chan_recv(g_pong, &v);
    if (rc || v != i) { fprintf(stderr, "chan: %s\n", wa_strerror(rc)); return 1; }
  }
  return 0;
}

static int bench_chan(long messages, size_t cap, int reps) {
  g_ping = wa_chan_new(sizeof(long), cap);
  g_pong = wa_chan_new(sizeof(long), cap);
  wa_task *echo = wa_spawn(echo_task, NULL);
  if (!g_ping || !g_pong || !echo) { fprintf(stderr, "out of memory\n"); return 1; }
  long rounds = messages / 2;
  g_rounds = rounds;
  for (int r = -1; r < reps; r++) {
    double t0 = now_ms();
    if (wa_join(wa_spawn(ping_task, NULL)) != 0) return 1;
    double t1 = now_ms();
    if (r >= 0) {
      printf("BENCH {\"rep\":%d,\"capacity\":%zu,\"messages\":%ld,\"ms\":%.3f,\"ns_per_message\":%.2f}\n",
             r, cap, rounds * 2, t1 - t0, (t1 - t0) * 1e6 / (double)(rounds * 2));
      fflush(stdout);
    }
  }
  wa_chan_close(g_ping);
  int rc = wa_join(echo);
  wa_chan_free(g_ping);
  wa_chan_free(g_pong);
  if (rc) { fprintf(stderr, "echo: %s\n", wa_strerror(rc)); return 1; }
  return 0;
}

/* ---- sleepers -------------------------------------------------------------- */

static long g_asleep;
static int64_t g_sleep_ms;

static int sleeper(void *arg) {
  (void)arg;
  g_asleep++;
  int rc = wa_sleep(g_sleep_ms);
  g_asleep--;
  return rc == WA_ECANCELED ? 0 : rc;
}

static size_t heap_top(void) { return (size_t)sbrk(0); }
static size_t mem_size(void) { return __builtin_wasm_memory_size(0) * 65536u; }
static size_t in_use(void) { return (size_t)mallinfo().uordblks; }
/* The process's resident set (Node), 0 elsewhere: wasm memory is committed
 * lazily, so untouched stack pages cost address space, not this. Under
 * `node --expose-gc` it collects first, so that the figure is what the
 * live tasks hold (their engine stacks too, on JSPI), not the garbage
 * their start-up left. */
EM_JS(double, resident_bytes, (void), {
  if (typeof globalThis.gc === 'function') globalThis.gc();
  return typeof process === 'object' && process.memoryUsage ? process.memoryUsage.rss() : 0;
});

static int bench_sleepers(long n, int64_t sleep_ms, size_t stack_size) {
  wa_task_opts opts = {"sleeper", stack_size};
  g_sleep_ms = sleep_ms;
  wa_task **ts = malloc((size_t)n * sizeof *ts);
  if (!ts) { fprintf(stderr, "out of memory\n"); return 1; }
  memset(ts, 0, (size_t)n * sizeof *ts); /* touch it before the baseline */
  size_t top0 = heap_top(), mem0 = mem_size(), use0 = in_use();
  double rss0 = resident_bytes();
  double t0 = now_ms();
  for (long i = 0; i < n; i++) {
    if (!(ts[i] = wa_spawn_opts(sleeper, NULL, &opts))) { fprintf(stderr, "spawn %ld failed\n", i); return 1; }
  }
  double t1 = now_ms();
  while (g_asleep < n) { /* let every task start and reach wa_sleep */
    int rc = wa_yield();
    if (rc) { fprintf(stderr, "yield: %s\n", wa_strerror(rc)); return 1; }
  }
  double t2 = now_ms();
  size_t top1 = heap_top(), mem1 = mem_size(), use1 = in_use();
  double rss1 = resident_bytes();
  int tasks = wa_task_count();
  for (long i = 0; i < n; i++) wa_cancel(ts[i]);
  int rc = wa_join_all(ts, (int)n);
  double t3 = now_ms();
  free(ts);
  if (rc) { fprintf(stderr, "join_all: %s\n", wa_strerror(rc)); return 1; }
  if (g_asleep != 0) { fprintf(stderr, "%ld tasks still asleep\n", g_asleep); return 1; }
  printf("BENCH {\"tasks\":%ld,\"live_tasks\":%d,\"stack_size\":%zu,"
         "\"sbrk_bytes\":%zu,\"mem_bytes\":%zu,\"malloc_bytes\":%zu,"
         "\"sbrk_per_task\":%.1f,\"mem_per_task\":%.1f,\"malloc_per_task\":%.1f,\"rss_per_task\":%.1f,"
         "\"spawn_ms\":%.1f,\"start_ms\":%.1f,\"cancel_join_ms\":%.1f}\n",
         n, tasks, stack_size ? stack_size : WA_STACK_DEFAULT, top1 - top0, mem1 - mem0, use1 - use0,
         (double)(top1 - top0) / (double)n, (double)(mem1 - mem0) / (double)n,
         (double)(use1 - use0) / (double)n, (rss1 - rss0) / (double)n, t1 - t0, t2 - t1, t3 - t2);
  fflush(stdout);
  return 0;
}

/* ---- sleeper wake-up lateness -------------------------------------------------------- */

static double *g_late;
static int64_t g_base_ms, g_spread_ms;

static int late_sleeper(void *arg) {
  long i = (long)(intptr_t)arg;
  int64_t ms = g_base_ms + i % g_spread_ms;
  double deadline = now_ms() + (double)ms;
  int rc = wa_sleep(ms);
  g_late[i] = now_ms() - deadline;
  return rc;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* 100 000 tasks: small stacks, chosen explicitly (64 KiB defaults would
 * need 6.4 GB of wasm32 address space). */
static int bench_lateness(long n, int64_t base_ms, int64_t spread_ms) {
  static const wa_task_opts opts = {"late", 6 * 1024};
  g_base_ms = base_ms;
  g_spread_ms = spread_ms > 0 ? spread_ms : 1;
  g_late = malloc((size_t)n * sizeof *g_late);
  wa_task **ts = malloc((size_t)n * sizeof *ts);
  if (!g_late || !ts) { fprintf(stderr, "out of memory\n"); return 1; }
  double t0 = now_ms();
  for (long i = 0; i < n; i++) {
    if (!(ts[i] = wa_spawn_opts(late_sleeper, (void *)(intptr_t)i, &opts))) { fprintf(stderr, "spawn %ld failed\n", i); return 1; }
  }
  int rc = wa_join_all(ts, (int)n);
  double t1 = now_ms();
  if (rc) { fprintf(stderr, "lateness join: %s\n", wa_strerror(rc)); return 1; }
  qsort(g_late, (size_t)n, sizeof *g_late, cmp_double);
  printf("BENCH {\"tasks\":%ld,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"min_ms\":%.3f,\"total_ms\":%.1f}\n",
         n, g_late[n / 2], g_late[(long)(n * 0.99)], g_late[n - 1], g_late[0], t1 - t0);
  fflush(stdout);
  free(g_late);
  free(ts);
  return 0;
}

/* ---- the libc's sleep() in tasks ------------------------------------------------------ */

/* The event-loop monitor: a 1 ms setInterval recording the longest gap
 * between two of its runs (a stall of the loop shows as a long gap). */
EM_JS(void, stall_monitor_start, (void), {
  const m = globalThis.__wasyncStall = { last: performance.now(), max: 0 };
  m.id = setInterval(() => {
    const now = performance.now();
    m.max = Math.max(m.max, now - m.last);
    m.last = now;
  }, 1);
});
EM_JS(double, stall_monitor_stop, (void), {
  const m = globalThis.__wasyncStall;
  clearInterval(m.id);
  return Math.max(m.max, performance.now() - m.last);
});

static unsigned g_sleep_s;

static int libc_sleeper(void *arg) {
  (void)arg;
  return (int)sleep(g_sleep_s);
}

static int bench_libc_sleep(int n, unsigned seconds) {
  wa_task **ts = calloc((size_t)n, sizeof *ts);
  double start, wall;
  int rc;
  g_sleep_s = seconds;
  stall_monitor_start();
  wa_sleep(20); /* the monitor's first runs, before the sleepers */
  start = now_ms();
  for (int i = 0; i < n; i++) ts[i] = wa_spawn(libc_sleeper, NULL);
  rc = wa_join_all(ts, n);
  wall = now_ms() - start;
  wa_sleep(5); /* a last run of the monitor after the join */
  printf("BENCH {\"wall_ms\":%.1f,\"stall_ms\":%.2f,\"rc\":%d}\n", wall, stall_monitor_stop(), rc);
  free(ts);
  return rc;
}

int wa_main(int argc, char **argv) {
  const char *m = argc >= 2 ? argv[1] : "";
  if (argc >= 4 && strcmp(m, "switch") == 0) return bench_switch(atol(argv[2]), atoi(argv[3]), argc >= 5 ? atoi(argv[4]) : 0);
  if (argc >= 6 && strcmp(m, "ring") == 0) return bench_ring(atoi(argv[2]), atol(argv[3]), (size_t)atol(argv[4]), atoi(argv[5]));
  if (argc >= 4 && strcmp(m, "tree") == 0) return bench_tree(atol(argv[2]), atoi(argv[3]));
  if (argc >= 5 && strcmp(m, "chan") == 0) return bench_chan(atol(argv[2]), (size_t)atol(argv[3]), atoi(argv[4]));
  if (argc >= 4 && strcmp(m, "sleepers") == 0)
    return bench_sleepers(atol(argv[2]), atoll(argv[3]), argc >= 5 ? (size_t)atol(argv[4]) : 0);
  if (argc >= 5 && strcmp(m, "lateness") == 0) return bench_lateness(atol(argv[2]), atoll(argv[3]), atoll(argv[4]));
  if (argc >= 4 && strcmp(m, "libcsleep") == 0) return bench_libc_sleep(atoi(argv[2]), (unsigned)atoi(argv[3]));
  fprintf(stderr, "usage: wasync_bench switch <switches> <reps> [depth] | ring <tasks> <passes> <cap> <reps> |\n"
                  "       tree <leaves> <reps> | chan <messages> <cap> <reps> | sleepers <n> <sleep_ms> [stack] |\n"
                  "       lateness <n> <base_ms> <spread_ms> | libcsleep <tasks> <seconds>\n");
  return 2;
}
