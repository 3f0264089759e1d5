// js_await.mjs — the JavaScript peers of the wasync switch benchmark. Each
// function runs `handoffs` hand-offs between two async functions and returns
// ns per hand-off. `depth` puts each side's loop that many async calls below
// its entry function, as wasync_bench.c's switch mode does with C frames
// (a JS await suspends only the innermost async function, so depth costs JS
// nothing per hand-off; it is there to run the same program shape).

/** Runs body() `depth` nested async calls deep. */
async function nested(depth, body) {
  if (depth === 0) return body();
  const r = await nested(depth - 1, body);
  return r;
}

/**
 * Two async functions alternately awaiting an already-resolved promise: each
 * `await` parks one function and the microtask queue resumes the other. No
 * side wakes the other: the microtask queue alternates them. The cheapest
 * thing an await can do; shown for information.
 */
export async function awaitPingPong(handoffs, depth = 0) {
  const half = handoffs / 2;
  const resolved = Promise.resolve();
  async function side() {
    for (let i = 0; i < half; i++) await resolved;
  }
  const t0 = performance.now();
  await Promise.all([nested(depth, side), nested(depth, side)]);
  return ((performance.now() - t0) * 1e6) / handoffs;
}

/**
 * The hand-off: each side creates its promise, resolves the other side's
 * and awaits its own — a real ping-pong, what a JS scheduler built on
 * promises does, and the peer the switch bar is checked against.
 */
export async function batonPingPong(handoffs, depth = 0) {
  let left = handoffs;
  const wake = [null, null];
  const passBaton = (to) => {
    const w = wake[to];
    wake[to] = null;
    if (w) w();
  };
  async function side(me) {
    const other = 1 - me;
    for (;;) {
      const mine = new Promise((resolve) => { wake[me] = resolve; });
      passBaton(other);
      if (left <= 0) return;
      await mine;
      if (--left <= 0) { passBaton(other); return; }
    }
  }
  const t0 = performance.now();
  await Promise.all([nested(depth, () => side(0)), nested(depth, () => side(1))]);
  return ((performance.now() - t0) * 1e6) / handoffs;
}
