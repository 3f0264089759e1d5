// switch.mjs — a) two tasks ping-pong at several stack depths: wa_yield vs
// a JS await hand-off vs emscripten_fiber_swap.
import { buildFiber, buildWasync, buildWasyncUnchecked, fiber, jsPeer, med, pooled, wasync, wasyncUnchecked } from '../driver.mjs';
import { DEPTHS, PROCS, REPS, switchesAt } from '../knobs.mjs';
import { ns, ratio } from '../table.mjs';

export const method = 'a) Two tasks ping-pong with `wa_yield()`, the call made 0/16/64 frames below the task function. ' +
      'JS await hand-off: each of two async functions resolves the other\'s promise and awaits its own (the bar\'s peer); ' +
      'JS resolved: both await an already-resolved promise, so the microtask queue alternates them without any hand-off (information). ' +
      'In JS only the innermost async function suspends, so depth does not change its cost, while Asyncify unwinds and rewinds every frame. ' +
      'emscripten_fiber_swap: the same program with Emscripten fibers (emcc -O2 -sASYNCIFY). ' +
      'Depth 0 runs twice: the default build (every function checks the stack pointer against the running task\'s limits, ' +
      'and each switch moves those limits) and `wasync build --no-stack-check` (canaries only), which is what the bars ' +
      'compare, since neither peer checks the stack in every function.';

export default [
  // a) switch ping-pong at several stack depths
  ...DEPTHS.map((depth) => ({
    id: `switch-d${depth}`,
    title: `switch ping-pong, yield ${depth} frames deep: wasync wa_yield vs JS await vs emscripten_fiber_swap (${switchesAt(depth)} switches x ${REPS}, ${PROCS} processes each)`,
    build: () => Promise.all([buildWasync(), buildFiber(), ...(depth === 0 ? [buildWasyncUnchecked()] : [])]),
    async run() {
      const n = switchesAt(depth);
      const [wl, js, fl, ul] = await pooled(() => wasync('switch', n, REPS, depth), () => jsPeer('switch', n, REPS, depth),
        () => fiber(n, REPS, depth), async () => (depth === 0 ? wasyncUnchecked('switch', n, REPS, depth) : []));
      const w = wl.map((x) => x.ns_per_switch);
      const handoff = js.filter((x) => x.kind === 'handoff').map((x) => x.ns_per_switch);
      const resolved = js.filter((x) => x.kind === 'resolved').map((x) => x.ns_per_switch);
      const f = fl.map((x) => x.ns_per_switch);
      return {
        ...(depth === 0 ? { wasync_switch_d0_unchecked: med(ul.map((x) => x.ns_per_switch), 'ns/switch', 'wasync build --no-stack-check') } : {}),
        [`wasync_switch_d${depth}`]: med(w, 'ns/switch', 'default build: exact stack check'),
        [`js_handoff_d${depth}`]: med(handoff, 'ns/hand-off', 'A resolves B\'s promise, then awaits its own'),
        [`js_resolved_d${depth}`]: med(resolved, 'ns/hand-off', 'both await an already-resolved promise'),
        [`fiber_switch_d${depth}`]: med(f, 'ns/switch', 'emcc -O2 -sASYNCIFY'),
      };
    },
    rows(r) {
      const w = `wasync_switch_d${depth}`;
      const u = 'wasync_switch_d0_unchecked';
      const label = depth === 0 ? 'default build' : '';
      const rows = [
        { row: `a) switch, depth ${depth}${label && `, ${label}`}: vs JS await hand-off`, wasync: ns(r, w), peer: ns(r, `js_handoff_d${depth}`),
          ratio: ratio(r, w, `js_handoff_d${depth}`) },
        { row: `a) switch, depth ${depth}${label && `, ${label}`}: vs JS await of a resolved promise (info)`, wasync: ns(r, w), peer: ns(r, `js_resolved_d${depth}`),
          ratio: ratio(r, w, `js_resolved_d${depth}`) },
        { row: `a) switch, depth ${depth}${label && `, ${label}`}: vs emscripten_fiber_swap`, wasync: ns(r, w), peer: ns(r, `fiber_switch_d${depth}`),
          ratio: ratio(r, w, `fiber_switch_d${depth}`) },
      ];
      if (depth !== 0) return rows;
      return [
        { row: 'a) switch, depth 0, --no-stack-check: vs JS await hand-off', wasync: ns(r, u), peer: ns(r, 'js_handoff_d0'),
          ratio: ratio(r, u, 'js_handoff_d0'), bar: 0.6 },
        { row: 'a) switch, depth 0, --no-stack-check: vs emscripten_fiber_swap', wasync: ns(r, u), peer: ns(r, 'fiber_switch_d0'),
          ratio: ratio(r, u, 'fiber_switch_d0'), bar: 0.3 },
        ...rows,
        { row: 'a) switch, depth 0: the default build\'s exact stack check, time against --no-stack-check (info)', wasync: ns(r, w), peer: ns(r, u),
          ratio: ratio(r, w, u) },
      ];
    },
  })),
];
