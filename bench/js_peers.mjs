#!/usr/bin/env node
// js_peers.mjs — the JavaScript peers of wasync_bench.c, one mode each,
// same arguments and same "BENCH {json}" output. driver.mjs runs every peer in
// its own Node process, as it runs the wasm side.
//
//   switch <handoffs> <reps> <depth>   handoff_ns (promise hand-off) and
//                                      resolved_ns (await a resolved promise)
//   ring <tasks> <passes> <capacity> <reps>
//   tree <leaves> <reps>
//   chan <messages> <capacity> <reps>
//   lateness <n> <base_ms> <spread_ms>
import { awaitPingPong, batonPingPong } from './js_await.mjs';

const bench = (obj) => console.log(`BENCH ${JSON.stringify(obj)}`);

/**
 * A minimal promise-based channel with Go's semantics, the same as
 * wa_chan: capacity 0 is a rendezvous, waiters are served FIFO, and whoever
 * makes progress completes the other side's operation for it. Operations
 * that can complete at once do so synchronously (send() returns undefined,
 * poll() a value), so a JS task pays for a promise only when it must wait,
 * as a wasync task pays for a switch only when it must wait.
 */
export const EMPTY = Symbol('empty');
export class Chan {
  constructor(capacity) {
    this.cap = capacity;
    this.buf = [];      // values, oldest first
    this.recvq = [];    // resolve functions of parked receivers
    this.sendq = [];    // { v, resolve } of parked senders
  }

  /** undefined if the value was delivered or buffered, else a promise that settles when it is. */
  send(v) {
    if (this.recvq.length) { this.recvq.shift()(v); return undefined; }
    if (this.buf.length < this.cap) { this.buf.push(v); return undefined; }
    return new Promise((resolve) => { this.sendq.push({ v, resolve }); });
  }

  /** A value if one can be taken now, else EMPTY. */
  poll() {
    if (this.buf.length) {
      const v = this.buf.shift();
      if (this.sendq.length) { const s = this.sendq.shift(); this.buf.push(s.v); s.resolve(); }
      return v;
    }
    if (this.sendq.length) { const s = this.sendq.shift(); s.resolve(); return s.v; }
    return EMPTY;
  }

  /** A promise of the next value. */
  recv() {
    const v = this.poll();
    if (v !== EMPTY) return Promise.resolve(v);
    return new Promise((resolve) => { this.recvq.push(resolve); });
  }
}

async function send(ch, v) { const p = ch.send(v); if (p) await p; }
async function recv(ch) { const v = ch.poll(); return v !== EMPTY ? v : ch.recv(); }

// ---- modes --------------------------------------------------------------------------

async function modeSwitch(handoffs, reps, depth) {
  await batonPingPong(handoffs, depth); // warm-up
  for (let r = 0; r < reps; r++) bench({ rep: r, depth, kind: 'handoff', ns_per_switch: await batonPingPong(handoffs, depth) });
  await awaitPingPong(handoffs, depth);
  for (let r = 0; r < reps; r++) bench({ rep: r, depth, kind: 'resolved', ns_per_switch: await awaitPingPong(handoffs, depth) });
}

async function modeRing(n, passes, cap, reps) {
  const ch = Array.from({ length: n }, () => new Chan(cap));
  let done = null;
  async function node(i) {
    const inp = ch[i];
    const out = ch[(i + 1) % n];
    for (;;) {
      let tok = inp.poll();
      if (tok === EMPTY) tok = await inp.recv();
      if (tok === 0) { done(); continue; }
      const p = out.send(tok - 1);
      if (p) await p;
    }
  }
  for (let i = 0; i < n; i++) node(i); // each parks in recv; left parked at exit
  for (let r = -1; r < reps; r++) {
    const finished = new Promise((resolve) => { done = resolve; });
    const t0 = performance.now();
    await send(ch[0], passes);
    await finished;
    const ms = performance.now() - t0;
    if (r >= 0) bench({ rep: r, tasks: n, passes, capacity: cap, ms, ns_per_pass: (ms * 1e6) / passes });
  }
}

async function modeTree(leaves, reps) {
  let spawned = 0;
  async function node(num, size) {
    if (size === 1) return num;
    const sub = size / 10;
    const kids = new Array(10);
    for (let i = 0; i < 10; i++) kids[i] = node(num + i * sub, sub);
    spawned += 10;
    const sums = await Promise.all(kids);
    let s = 0;
    for (let i = 0; i < 10; i++) s += sums[i];
    return s;
  }
  const sub = leaves / 10;
  for (let r = -1; r < reps; r++) {
    spawned = 0;
    const t0 = performance.now();
    let sum = 0;
    for (let i = 0; i < 10; i++) { sum += await node(i * sub, sub); spawned++; } // same shape as bench_tree
    const ms = performance.now() - t0;
    if (sum !== (leaves * (leaves - 1)) / 2) throw new Error(`tree: sum ${sum}`);
    if (r >= 0) bench({ rep: r, leaves, tasks: spawned, ms, ns_per_task: (ms * 1e6) / spawned });
  }
}

async function modeChan(messages, cap, reps) {
  const ping = new Chan(cap);
  const pong = new Chan(cap);
  (async () => {
    for (;;) {
      let v = ping.poll();
      if (v === EMPTY) v = await ping.recv();
      const p = pong.send(v);
      if (p) await p;
    }
  })();
  const rounds = messages / 2;
  for (let r = -1; r < reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) {
      const p = ping.send(i);
      if (p) await p;
      let v = pong.poll();
      if (v === EMPTY) v = await pong.recv();
      if (v !== i) throw new Error(`chan: got ${v}, expected ${i}`);
    }
    const ms = performance.now() - t0;
    if (r >= 0) bench({ rep: r, capacity: cap, messages: rounds * 2, ms, ns_per_message: (ms * 1e6) / (rounds * 2) });
  }
}

async function modeLateness(n, baseMs, spreadMs) {
  const late = new Float64Array(n);
  const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
  async function sleeper(i) {
    const ms = baseMs + (i % spreadMs);
    const deadline = performance.now() + ms;
    await sleep(ms);
    late[i] = performance.now() - deadline;
  }
  const t0 = performance.now();
  const all = [];
  for (let i = 0; i < n; i++) all.push(sleeper(i));
  await Promise.all(all);
  const total = performance.now() - t0;
  late.sort();
  bench({ tasks: n, p50_ms: late[n >> 1], p99_ms: late[Math.floor(n * 0.99)], max_ms: late[n - 1], min_ms: late[0], total_ms: total });
}

/* n async functions asleep at once on setTimeout promises (the JS shape of
 * n sleeping tasks): JS heap growth per sleeper, with a collection before
 * and after (run with --expose-gc). */
async function modeSleepMem(n, sleepMs) {
  const gc = globalThis.gc || (() => {});
  const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
  let asleep = 0;
  async function sleeper() {
    asleep++;
    await sleep(sleepMs);
  }
  gc();
  const before = process.memoryUsage().heapUsed;
  const timers = [];
  for (let i = 0; i < n; i++) timers.push(sleeper());
  gc();
  const after = process.memoryUsage().heapUsed;
  if (asleep !== n) throw new Error(`only ${asleep} of ${n} asleep`);
  bench({ tasks: n, heap_per_sleeper: (after - before) / n });
  process.exit(0); // the sleepers are not waited for
}

// The peer of wasync_bench.c's libcsleep: n async functions await a
// setTimeout of `seconds` at once, under the same 1 ms setInterval monitor:
// its worst gap is the stall this machine shows with nothing running at all.
async function modeLibcSleep(n, seconds) {
  const m = { last: performance.now(), max: 0 };
  const id = setInterval(() => {
    const now = performance.now();
    m.max = Math.max(m.max, now - m.last);
    m.last = now;
  }, 1);
  await new Promise((r) => setTimeout(r, 20));
  const start = performance.now();
  await Promise.all(Array.from({ length: n }, () => new Promise((r) => setTimeout(r, seconds * 1000))));
  const wall = performance.now() - start;
  await new Promise((r) => setTimeout(r, 5));
  clearInterval(id);
  bench({ wall_ms: wall, stall_ms: Math.max(m.max, performance.now() - m.last), rc: 0 });
}

const MODES = { switch: modeSwitch, ring: modeRing, tree: modeTree, chan: modeChan, lateness: modeLateness, sleepmem: modeSleepMem,
  libcsleep: modeLibcSleep };

const [mode, ...args] = process.argv.slice(2);
if (!MODES[mode]) {
  console.error(`usage: node bench/js_peers.mjs ${Object.keys(MODES).join('|')} <args...>`);
  process.exit(2);
}
await MODES[mode](...args.map(Number));
