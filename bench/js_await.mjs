// js_await.mjs — the JavaScript peers of the wasync switch benchmark. Each
// function runs `handoffs` hand-offs between two async functions and returns
// ns per hand-off. They run inside the bench/run.mjs process.

/**
 * Two async functions alternately awaiting an already-resolved promise: each
 * `await` parks one function and the microtask queue resumes the other, the
 * same shape as two tasks calling wa_yield().
 */
export async function awaitPingPong(handoffs) {
  const half = handoffs / 2;
  const resolved = Promise.resolve();
  async function side() {
    for (let i = 0; i < half; i++) await resolved;
  }
  const t0 = performance.now();
  await Promise.all([side(), side()]);
  return ((performance.now() - t0) * 1e6) / handoffs;
}

/**
 * Explicit baton: each hand-off creates a promise, resolves the other side's
 * and awaits its own (what a JS scheduler built on promises would do).
 */
export async function batonPingPong(handoffs) {
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
  await Promise.all([side(0), side(1)]);
  return ((performance.now() - t0) * 1e6) / handoffs;
}
