// ring.mjs — b) a ring of 10 000 tasks passing a token over channels vs JS
// async functions over promise-based channels.
import { buildWasync, jsPeer, med, wasync } from '../driver.mjs';
import { REPS, RING_PASSES, RING_TASKS } from '../knobs.mjs';
import { ns, ratio } from '../table.mjs';

export const method = `b) ${RING_TASKS} tasks in a ring, neighbours joined by channels; one token passed ${RING_PASSES} times. ` +
      'JS: as many async functions over promise-based channels (bench/js_peers.mjs `Chan`, Go semantics, synchronous fast paths).';

export default [
  // b) ring of 10 000 tasks
  ...[0, 1].map((cap) => ({
    id: `ring-c${cap}`,
    title: `ring of ${RING_TASKS} tasks, channels of capacity ${cap}, token passed ${RING_PASSES} times: wasync vs JS async functions (x ${REPS})`,
    build: buildWasync,
    async run() {
      const w = (await wasync('ring', RING_TASKS, RING_PASSES, cap, REPS)).map((x) => x.ns_per_pass);
      const js = (await jsPeer('ring', RING_TASKS, RING_PASSES, cap, REPS)).map((x) => x.ns_per_pass);
      return {
        [`wasync_ring_c${cap}`]: med(w, 'ns/pass'),
        [`js_ring_c${cap}`]: med(js, 'ns/pass', 'promise-based channels (js_peers.mjs Chan)'),
      };
    },
    rows: (r) => [{ row: `b) ring of ${RING_TASKS} tasks, capacity ${cap}, per pass`, wasync: ns(r, `wasync_ring_c${cap}`),
      peer: ns(r, `js_ring_c${cap}`), ratio: ratio(r, `wasync_ring_c${cap}`, `js_ring_c${cap}`) }],
  })),
];
