// tree.mjs — c) spawn + join of a Skynet tree vs a tree of JS Promises.
import { buildWasync, jsPeer, med, pooled, wasync } from '../driver.mjs';
import { PROCS, TREE_LEAVES, TREE_REPS } from '../knobs.mjs';
import { ms, ratio } from '../table.mjs';

export const method = `c) Skynet: every node spawns 10 children and sums their results, ${TREE_LEAVES} leaves. ` +
      'Tree tasks use `WA_STACK_MIN` (2 KiB) stacks. All 1.1 M tasks at once would need ~2.5 GB (more than wasm32\'s 2 GiB here), ' +
      'and FIFO scheduling builds the tree breadth-first, so the root runs its 10 subtrees one after another ' +
      '(at most ~111 k tasks alive at once); the JS peer (async functions + Promise.all) has the same shape. ' +
      'Pooled over several processes per side, in turns, like the switch rows: one process\'s tree varies by up to 25%.';

export default [
  // c) spawn + join tree
  {
    id: 'tree',
    title: `spawn+join tree (Skynet, fan-out 10, ${TREE_LEAVES} leaves, WA_STACK_MIN stacks, the root's 10 subtrees one after another): wasync vs Promise-based (x ${TREE_REPS}, ${PROCS} processes each)`,
    build: buildWasync,
    async run() {
      const [wl, jl] = await pooled(() => wasync('tree', TREE_LEAVES, TREE_REPS), () => jsPeer('tree', TREE_LEAVES, TREE_REPS));
      return {
        wasync_tree_ms: med(wl.map((x) => x.ms), 'ms/tree', `${wl[0].tasks} tasks, at most ${Math.max(...wl.map((x) => x.peak))} alive at once`),
        js_tree_ms: med(jl.map((x) => x.ms), 'ms/tree', 'async functions + Promise.all'),
      };
    },
    rows: (r) => [{ row: `c) spawn+join ${TREE_LEAVES} leaves (Skynet), per tree`, wasync: ms(r, 'wasync_tree_ms'),
      peer: ms(r, 'js_tree_ms'), ratio: ratio(r, 'wasync_tree_ms', 'js_tree_ms'), bar: 1.0 }],
  },
];
