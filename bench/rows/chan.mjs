// chan.mjs — d) channel ping-pong between two tasks vs JS async functions
// over a promise-based queue.
import { buildWasync, jsPeer, med, pooled, wasync } from '../driver.mjs';
import { CHAN_MESSAGES, PROCS, REPS } from '../knobs.mjs';
import { ns, ratio } from '../table.mjs';

export const method = 'd) Two tasks bounce a value over two channels; ns per message (a send and its receive). JS: the same over `Chan`.';

export default [
  // d) channel ping-pong
  ...[0, 64].map((cap) => ({
    id: `chan-c${cap}`,
    title: `channel ping-pong, capacity ${cap}: wasync tasks vs JS async functions over a promise-based queue (${CHAN_MESSAGES} messages x ${REPS}, ${PROCS} processes each)`,
    build: buildWasync,
    async run() {
      const [wl, jl] = await pooled(() => wasync('chan', CHAN_MESSAGES, cap, REPS), () => jsPeer('chan', CHAN_MESSAGES, cap, REPS));
      const w = wl.map((x) => x.ns_per_message);
      const js = jl.map((x) => x.ns_per_message);
      return {
        [`wasync_chan_c${cap}`]: med(w, 'ns/message'),
        [`js_chan_c${cap}`]: med(js, 'ns/message', 'js_peers.mjs Chan'),
      };
    },
    rows: (r) => [{ row: `d) channel ping-pong, capacity ${cap}, per message`, wasync: ns(r, `wasync_chan_c${cap}`),
      peer: ns(r, `js_chan_c${cap}`), ratio: ratio(r, `wasync_chan_c${cap}`, `js_chan_c${cap}`), bar: cap === 0 ? 0.7 : undefined }],
  })),
];
