/* Stacks: deep recursion, overflow reports, and the guard against the
 * suspend primitive being inlined (DESIGN.md, "toolchain facts"). */
#include "task.h"
#include "../../src/internal.h"

/* Each level keeps a buffer on the C stack and awaits at the bottom, so the
 * whole chain is saved and restored by every switch. */
static int recurse(int depth, volatile char *parent) {
  volatile char buf[48];
  buf[0] = (char)depth;
  buf[47] = parent ? parent[0] : 0;
  if (depth == 0) {
    ASSERT_EQ(wa_yield(), 0);
    ASSERT_EQ(wa_sleep(1), 0);
    return buf[0];
  }
  int below = recurse(depth - 1, buf);
  ASSERT_EQ(buf[0], (char)depth); /* our frame survived the switches below */
  return below + 1;
}

static int deep(void *arg) { return recurse((int)(intptr_t)arg, NULL); }

TEST_IMPL(ten_thousand_levels_of_recursion_with_a_big_stack) {
  wa_task_opts o = {"deep", 8u << 20};
  wa_task *t = wa_spawn_opts(deep, (void *)10000, &o);
  ASSERT(t != NULL);
  ASSERT_EQ(wa_join(t), 10000);
  return 0;
}

/* Deeper than the engine allows, whatever the stack_size: the task ends
 * with WA_EOVERFLOW and the report says whose stack ran out. */
TEST_IMPL(recursion_deeper_than_the_engine_allows_ends_the_task) {
#ifdef __EMSCRIPTEN__
  wa_task_opts o = {"deeper", 64u << 20};
  wa_task *t = wa_spawn_opts(deep, (void *)1000000, &o);
  ASSERT(t != NULL);
  ASSERT_ERR(wa_join(t), WA_EOVERFLOW);
#endif
  return 0;
}

/* Native: the guard page faults and the handler exits 70 naming the task.
 * Wasm: the per-function stack check ends the task with WA_EOVERFLOW and
 * the runtime names it; the test then exits 70 the same way. */
TEST_DEATH(stack_overflow_names_the_task, 70, "task 2 \"deep\" overflowed its C stack") {
  wa_task_opts o = {"deep", 16 * 1024};
  wa_task *t = wa_spawn_opts(deep, (void *)100000, &o);
  ASSERT(t != NULL);
  ASSERT_ERR(wa_join(t), WA_EOVERFLOW);
  ASSERT_EQ(wa_task_count(), 1);
  fflush(stdout);
  exit(70);
}

/* 32 KiB of locals, every byte written, and an await with all of it live:
 * the kind of buffer real C code keeps on the stack. */
static int big_locals(void *arg) {
  volatile char buf[32 * 1024];
  (void)arg;
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)i;
  ASSERT_EQ(wa_yield(), 0);
  for (size_t i = 0; i < sizeof buf; i += 4093) ASSERT_EQ(buf[i], (char)i);
  return buf[sizeof buf - 1];
}

TEST_IMPL(a_task_with_32_kib_of_locals_runs_with_the_default_stack) {
  wa_task *t = wa_spawn(big_locals, NULL);
  ASSERT(t != NULL);
  ASSERT_EQ(wa_join(t), (char)(32 * 1024 - 1));
  return 0;
}

static int counted_awaits(void *arg) {
  int *before = arg;
  for (int i = 0; i < 100; i++) {
    before[i]++;            /* runs exactly once per iteration... */
    ASSERT_EQ(wa_yield(), 0); /* ...unless a resume restarted this function */
  }
  return 0;
}

/* If Binaryen ever inlined the suspend primitive (or the task trampoline)
 * into its caller, that caller would lose its instrumentation and restart
 * from the top on every resume: code before an await would run again. */
TEST_IMPL(suspend_primitive_is_not_inlined) {
  static int before[100];
  wa_task *a = wa_spawn(counted_awaits, before);
  ASSERT_EQ(wa_join(a), 0);
  for (int i = 0; i < 100; i++) ASSERT_EQ(before[i], 1);
  return 0;
}

static int sleep_forever(void *arg) {
  (void)arg;
  return wa_sleep(1000000);
}

TEST_IMPL(overflowed_task_leaves_others_running) {
  wa_task_opts small = {"deep", 64 * 1024};
  wa_task *sleeper = wa_spawn(sleep_forever, NULL);
  wa_task *t = wa_spawn_opts(deep, (void *)100, &small); /* fits: no overflow */
  ASSERT_EQ(wa_join(t), 100);
  wa_cancel(sleeper);
  ASSERT_ERR(wa_join(sleeper), WA_ECANCELED);
  return 0;
}

/* The address of a fresh frame below the caller: moves if the stack
 * pointer drifts. noinline keeps it a real call natively; in wasm the
 * volatile pointer does. */
static __attribute__((noinline)) void callee_frame(uintptr_t *where) {
  volatile char probe[32];
  probe[0] = 1;
  *where = (uintptr_t)&probe[0];
}
static void (*volatile callee_frame_ptr)(uintptr_t *) = callee_frame;

static uintptr_t frame_address(void) {
  uintptr_t where;
  callee_frame_ptr(&where);
  return where;
}

static int yield_and_watch_sp(void *arg) {
  int *drifted = arg;
  uintptr_t first = frame_address();
  for (int i = 0; i < 10000; i++) {
    ASSERT_EQ(wa_yield(), 0);
    if (frame_address() != first) (*drifted)++;
  }
  return 0;
}

/* Regression: a stack frame in the suspend primitive leaked its size on
 * every switch until the task ran out of stack. */
TEST_IMPL(switches_keep_the_stack_pointer) {
  int drifted = 0;
  wa_task *ts[2] = {wa_spawn(yield_and_watch_sp, &drifted), wa_spawn(yield_and_watch_sp, &drifted)};
  ASSERT_EQ(wa_join_all(ts, 2), 0);
  ASSERT_EQ(drifted, 0);
  return 0;
}

#ifdef __EMSCRIPTEN__ /* natively the guard page faults instead */
static wa_chan *parked_chan;

/* Fills most of a 16 KiB stack (past the limit canary, short of the
 * block's bottom), then parks on a channel: in release wasm the canary
 * check at the suspend ends the task, in debug wasm the stack check at
 * this function's entry does. */
static int overflow_then_park(void *arg) {
  volatile char buf[15400];
  long v;
  (void)arg;
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)i;
  return wa_chan_recv(parked_chan, &v) + buf[7];
}

static wa_chan *parked_chans[2];

/* The same with a select, whose nodes (one per case) live in its frame. */
static int overflow_then_select(void *arg) {
  volatile char buf[15400];
  long v = 3, w;
  wa_select_case cs[2] = {{parked_chans[0], 0, &w}, {parked_chans[1], 1, &v}};
  (void)arg;
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)i;
  return wa_select(cs, 2) + buf[7];
}
#endif

/* Regression guard: a channel operation parks the task before the suspend
 * primitive runs its overflow check, which must undo that wait: a task
 * that can never resume must not stay linked as the channel's receiver. */
TEST_IMPL(task_that_overflows_while_parking_leaves_no_waiter_behind) {
#ifdef __EMSCRIPTEN__
  wa_task_opts o = {"sparse", 16 * 1024};
  long v = 1;
  parked_chan = wa_chan_new(sizeof v, 0);
  ASSERT(parked_chan != NULL);
  wa_task *t = wa_spawn_opts(overflow_then_park, NULL, &o);
  ASSERT(t != NULL);
  ASSERT_ERR(wa_join(t), WA_EOVERFLOW);
  ASSERT_ERR(wa_chan_try_send(parked_chan, &v), WA_EAGAIN);
  wa_chan_free(parked_chan);
#endif
  return 0;
}

/* The same for a wait on several queues: every node of the wait goes. */
TEST_IMPL(task_that_overflows_while_parking_in_select_leaves_no_node_behind) {
#ifdef __EMSCRIPTEN__
  wa_task_opts o = {"sparse", 16 * 1024};
  long v = 1;
  parked_chans[0] = wa_chan_new(sizeof v, 0);
  parked_chans[1] = wa_chan_new(sizeof v, 0);
  ASSERT(parked_chans[0] != NULL && parked_chans[1] != NULL);
  wa_task *t = wa_spawn_opts(overflow_then_select, NULL, &o);
  ASSERT(t != NULL);
  ASSERT_ERR(wa_join(t), WA_EOVERFLOW);
  ASSERT_ERR(wa_chan_try_send(parked_chans[0], &v), WA_EAGAIN);
  ASSERT_ERR(wa_chan_try_recv(parked_chans[1], &v), WA_EAGAIN);
  wa_chan_free(parked_chans[0]);
  wa_chan_free(parked_chans[1]);
#endif
  return 0;
}

static wa_chan *ping_chan, *pong_chan;

static int echo_and_watch_sp(void *arg) {
  int *drifted = arg;
  uintptr_t first = frame_address();
  long v;
  while (wa_chan_recv(ping_chan, &v) == 0) {
    ASSERT_EQ(wa_chan_send(pong_chan, &v), 0);
    if (frame_address() != first) (*drifted)++;
  }
  return 0;
}

/* The same for channel hand-offs, which park before entering the suspend
 * primitive (src/chan.c). */
TEST_IMPL(channel_hand_offs_keep_the_stack_pointer) {
  int drifted = 0;
  ping_chan = wa_chan_new(sizeof(long), 0);
  pong_chan = wa_chan_new(sizeof(long), 0);
  wa_task *echo = wa_spawn(echo_and_watch_sp, &drifted);
  uintptr_t first = frame_address();
  for (long i = 0; i < 10000; i++) {
    long v = i;
    ASSERT_EQ(wa_chan_send(ping_chan, &v), 0);
    ASSERT_EQ(wa_chan_recv(pong_chan, &v), 0);
    ASSERT_EQ(v, i);
    if (frame_address() != first) drifted++;
  }
  wa_chan_close(ping_chan);
  ASSERT_EQ(wa_join(echo), 0);
  ASSERT_EQ(drifted, 0);
  wa_chan_free(ping_chan);
  wa_chan_free(pong_chan);
  return 0;
}

#ifdef __EMSCRIPTEN__ /* natively every stack is at least 256 KiB */
/* A fixed need: 6 KiB of locals live across an await. */
static int six_kib_across_an_await(void *arg) {
  volatile char buf[6 * 1024];
  (void)arg;
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)i;
  ASSERT_EQ(wa_yield(), 0);
  return 1 + buf[100];
}
#endif

/* Overflow is exact (issue 11): a task that needs N bytes runs with every
 * stack_size >= N and ends with WA_EOVERFLOW with every smaller one, in
 * release builds as in debug builds (release builds used canaries, which
 * let some smaller sizes through and not others). */
TEST_IMPL(overflow_is_monotonic_in_the_stack_size) {
#ifdef __EMSCRIPTEN__
  size_t need = 0;
  for (size_t size = 4096; size <= 12288; size += 64) {
    wa_task_opts o = {"sweep", size};
    wa_task *t = wa_spawn_opts(six_kib_across_an_await, NULL, &o);
    int rc;
    ASSERT(t != NULL);
    rc = wa_join(t);
    if (rc == WA_EOVERFLOW) {
      ASSERT_EQ(need, 0); /* no failure above a size that ran */
      continue;
    }
    ASSERT_EQ(rc, 1 + 100);
    if (!need) need = size;
  }
  ASSERT_GE(need, (size_t)6 * 1024);    /* the buffer itself */
  ASSERT_LE(need, (size_t)6 * 1024 + 3072); /* plus frames, the save area and its reserve */
#endif
  return 0;
}

static int hold_buffer_until(void *arg) {
  wa_event *go = arg;
  volatile char buf[10 * 1024];
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)i;
  ASSERT_EQ(wa_event_wait(go), 0);
  return buf[5];
}

/* wa_task_stack_used: 0 until the task first suspends, then at least what
 * it holds across the await, and never more than its stack. */
TEST_IMPL(stack_high_water_mark_covers_what_a_task_holds_across_an_await) {
  wa_event go;
  wa_task_opts o = {"holder", 32 * 1024};
  wa_task *t;
  wa_event_init(&go);
  ASSERT((t = wa_spawn_opts(hold_buffer_until, &go, &o)) != NULL);
  ASSERT_EQ(wa_task_stack_used(t), 0);
  ASSERT_EQ(wa_task_stack_size(t), (size_t)32 * 1024);
  ASSERT_EQ(wa_yield(), 0); /* it runs and parks on the event */
  ASSERT_GE(wa_task_stack_used(t), (size_t)10 * 1024);
  ASSERT_LE(wa_task_stack_used(t), (size_t)32 * 1024);
  wa_event_set(&go);
  ASSERT_EQ(wa_join(t), 5);
  ASSERT_EQ(wa_task_stack_used(t), 0); /* a stale handle */
  return 0;
}

static int yield_and_report_used(void *arg) {
  size_t *used = arg;
  ASSERT_EQ(wa_yield(), 0);
  *used = wa_task_stack_used(wa_current());
  return 7;
}

/* A finished task's block is reused by the next spawn of the same size
 * (task.c's cache): the new task's high-water mark starts from nothing,
 * not from what the previous one used. */
TEST_IMPL(a_reused_stack_reports_only_its_own_high_water_mark) {
  wa_event go;
  wa_task_opts o = {"holder", 40 * 1024}; /* a size no other test task has */
  wa_task *t;
  size_t used = 0, cached;
  wa_event_init(&go);
  ASSERT((t = wa_spawn_opts(hold_buffer_until, &go, &o)) != NULL);
  ASSERT_EQ(wa_yield(), 0);
  ASSERT_GE(wa_task_stack_used(t), (size_t)10 * 1024);
  wa_event_set(&go);
  ASSERT_EQ(wa_join(t), 5);
  cached = wa__task_cache_bytes();
  ASSERT((t = wa_spawn_opts(yield_and_report_used, &used, &o)) != NULL);
#ifdef __EMSCRIPTEN__
  ASSERT_LT(wa__task_cache_bytes(), cached); /* it took the holder's block */
#else
  ASSERT_EQ(cached, 0); /* ASan: finished stacks are unmapped, not kept */
#endif
  ASSERT_EQ(wa_task_stack_used(t), 0);
  ASSERT_EQ(wa_join(t), 7);
  ASSERT_GT(used, 0);
  ASSERT_LT(used, (size_t)10 * 1024);
  return 0;
}

#ifdef __EMSCRIPTEN__
static int returns_three(void *arg) {
  (void)arg;
  return 3;
}
#endif

/* The overflow check holds on a reused block, and a block a task
 * overflowed serves the next task of its size as a fresh one. */
TEST_IMPL(overflow_is_caught_on_a_reused_stack_and_the_block_recovers) {
#ifdef __EMSCRIPTEN__
  wa_task_opts o = {"reuse", 4096}; /* too small for six_kib_across_an_await */
  size_t cached;
  wa_task *t;
  ASSERT((t = wa_spawn_opts(returns_three, NULL, &o)) != NULL);
  ASSERT_EQ(wa_join(t), 3);
  cached = wa__task_cache_bytes();
  ASSERT((t = wa_spawn_opts(six_kib_across_an_await, NULL, &o)) != NULL);
  ASSERT_LT(wa__task_cache_bytes(), cached); /* a reused block */
  ASSERT_ERR(wa_join(t), WA_EOVERFLOW);
  for (int i = 0; i < 3; i++) {
    ASSERT((t = wa_spawn_opts(returns_three, NULL, &o)) != NULL);
    ASSERT_EQ(wa_join(t), 3);
  }
#endif
  return 0;
}
