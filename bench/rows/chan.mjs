// chan.mjs — d) channel ping-pong between two tasks vs JS async functions
// over a promise-based queue.
import { buildWasync, buildWasyncUnchecked, jsPeer, med, pooled, wasync, wasyncUnchecked } from '../driver.mjs';
import { CHAN_MESSAGES, PROCS, REPS } from '../knobs.mjs';
import { ns, ratio } from '../table.mjs';

export const method = 'd) Two tasks bounce a value over two channels; ns per message (a send and its receive). JS: the same over `Chan`. ' +
  'Capacity 0 runs twice, as switch depth 0 does: the default build and `--no-stack-check`, which the bar compares.';

export default [
  // d) channel ping-pong
  ...[0, 64].map((cap) => ({
    id: `chan-c${cap}`,
    title: `channel ping-pong, capacity ${cap}: wasync tasks vs JS async functions over a promise-based queue (${CHAN_MESSAGES} messages x ${REPS}, ${PROCS} processes each)`,
    build: () => Promise.all([buildWasync(), ...(cap === 0 ? [buildWasyncUnchecked()] : [])]),
    async run() {
      const [wl, jl, ul] = await pooled(() => wasync('chan', CHAN_MESSAGES, cap, REPS), () => jsPeer('chan', CHAN_MESSAGES, cap, REPS),
        async () => (cap === 0 ? wasyncUnchecked('chan', CHAN_MESSAGES, cap, REPS) : []));
      const w = wl.map((x) => x.ns_per_message);
      const js = jl.map((x) => x.ns_per_message);
      return {
        ...(cap === 0 ? { wasync_chan_c0_unchecked: med(ul.map((x) => x.ns_per_message), 'ns/message', 'wasync build --no-stack-check') } : {}),
        [`wasync_chan_c${cap}`]: med(w, 'ns/message', 'default build: exact stack check'),
        [`js_chan_c${cap}`]: med(js, 'ns/message', 'js_peers.mjs Chan'),
      };
    },
    rows: (r) => [
      ...(cap === 0 ? [{ row: 'd) channel ping-pong, capacity 0, --no-stack-check, per message', wasync: ns(r, 'wasync_chan_c0_unchecked'),
        peer: ns(r, 'js_chan_c0'), ratio: ratio(r, 'wasync_chan_c0_unchecked', 'js_chan_c0'), bar: 0.7 }] : []),
      { row: `d) channel ping-pong, capacity ${cap}${cap === 0 ? ', default build' : ''}, per message`, wasync: ns(r, `wasync_chan_c${cap}`),
        peer: ns(r, `js_chan_c${cap}`), ratio: ratio(r, `wasync_chan_c${cap}`, `js_chan_c${cap}`) }],
  })),
];
