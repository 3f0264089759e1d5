// knobs.mjs — the benchmark sizes, each settable from the environment, and
// the constants the rows share. Read once, here, so that a row and the
// text written about it (RESULTS.md) always use the same numbers.
//
// BENCH_REPS (7: repetitions per measurement, after a warm-up),
// BENCH_PROCS (3: processes per side for the rows whose repetitions are
// pooled, see driver.mjs), BENCH_SWITCHES (2000000 at depth 0; depth 16 runs
// 1/2, depth 64 1/5 of it), BENCH_RING_PASSES (1000000), BENCH_TREE_LEAVES
// (1000000, a power of 10), BENCH_TREE_REPS (5), BENCH_CHAN_MESSAGES
// (1000000), BENCH_SLEEPERS (100000), BENCH_BIG_SLEEPERS (20000),
// BENCH_SLEEPER_RUNS (3), BENCH_KERNEL_ITERS (30000000), BENCH_FETCH_TOTAL
// (10000), BENCH_FETCH_REPS (5), BENCH_SQLITE_LOOKUPS (20 per task, 64
// tasks), BENCH_SQLITE_ROWS (20000) and BENCH_SQLITE_QUERIES (20000) for the
// in-memory database, BENCH_SQLITE_DELAY (0: milliseconds the HTTP server
// holds each answer, a slow network). The driver's own knobs (BENCH_ONLY,
// BENCH_WASYNC_FLAGS, BENCH_JSPI_NODE) are described in driver.mjs.

const num = (name, dflt) => Number(process.env[name] || dflt);

export const REPS = num('BENCH_REPS', 7);
export const PROCS = num('BENCH_PROCS', 3);

const SWITCHES = num('BENCH_SWITCHES', 2_000_000);
export const DEPTHS = [0, 16, 64];
/** Switches per repetition at a stack depth (even: a ping-pong). */
export const switchesAt = (depth) => Math.round(SWITCHES / (depth === 0 ? 1 : depth <= 16 ? 2 : 5) / 2) * 2;

export const RING_TASKS = 10_000;
export const RING_PASSES = num('BENCH_RING_PASSES', 1_000_000);
export const TREE_LEAVES = num('BENCH_TREE_LEAVES', 1_000_000);
export const TREE_REPS = num('BENCH_TREE_REPS', 5);
export const CHAN_MESSAGES = num('BENCH_CHAN_MESSAGES', 1_000_000);

export const SLEEPERS = num('BENCH_SLEEPERS', 100_000);
export const SLEEPER_RUNS = num('BENCH_SLEEPER_RUNS', 3);
// 100 000 tasks choose small stacks explicitly (64 KiB each would be 6.4 GB
// of wasm32 address space); the default-stack row runs fewer tasks.
export const SLEEPER_STACK = 6 * 1024;
export const BIG_SLEEPERS = num('BENCH_BIG_SLEEPERS', 20_000);
// Lateness: sleeper i sleeps LATE_BASE + i % LATE_SPREAD ms. The base is
// larger than the time it takes to create 100 000 JS timers (up to ~1.4 s
// seen here), so no deadline passes while the sleepers are still being set up.
export const LATE_BASE = 2000;
export const LATE_SPREAD = 1000;

export const KERNEL_ITERS = num('BENCH_KERNEL_ITERS', 30_000_000);
export const FETCH_TOTAL = num('BENCH_FETCH_TOTAL', 10000);
export const FETCH_REPS = num('BENCH_FETCH_REPS', 5);

export const SQLITE_TASKS = 64;
export const SQLITE_LOOKUPS = num('BENCH_SQLITE_LOOKUPS', 20);
export const SQLITE_ROWS = num('BENCH_SQLITE_ROWS', 20_000);
export const SQLITE_QUERIES = num('BENCH_SQLITE_QUERIES', 20_000);
export const SQLITE_DELAY = num('BENCH_SQLITE_DELAY', 0);
