// to_thread_peer.mjs — the peer of the wa_to_thread row (rows/to_thread.mjs):
// a pool of JS Workers (node:worker_threads, one per core by default), each
// running the same kernel (to_thread_kernel.c) compiled to wasm, fed jobs
// from a FIFO queue on the main thread, as wa_to_thread's pool is.
//   node to_thread_peer.mjs <kernel.wasm> <jobs> <limit> [workers]
// Prints one BENCH {json} line: worker_ms (all jobs), workers.
import fs from 'node:fs';
import os from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

// Any import the standalone module has (none expected) is a function that does nothing.
const stubImports = (mod) => {
  const imports = {};
  for (const i of WebAssembly.Module.imports(mod)) {
    if (i.kind !== 'function') continue;
    (imports[i.module] ||= {})[i.name] = () => 0;
  }
  return imports;
};

if (!isMainThread) {
  const { exports } = new WebAssembly.Instance(workerData, stubImports(workerData));
  parentPort.on('message', (limit) => parentPort.postMessage(exports.count_primes(limit)));
} else {
  const [wasm, jobsArg, limitArg, workersArg] = process.argv.slice(2);
  const jobs = Number(jobsArg);
  const limit = Number(limitArg);
  const n = Number(workersArg) || (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
  const mod = new WebAssembly.Module(fs.readFileSync(wasm));
  const workers = Array.from({ length: n }, () => new Worker(new URL(import.meta.url), { workerData: mod }));
  const run = (w, lim) => new Promise((resolve) => { w.once('message', resolve); w.postMessage(lim); });
  await Promise.all(workers.map((w) => run(w, 1000))); // started and warm
  const t0 = performance.now();
  let next = 0;
  await Promise.all(workers.map(async (w) => {
    while (next < jobs) {
      next++;
      await run(w, limit);
    }
  }));
  const ms = performance.now() - t0;
  console.log(`BENCH ${JSON.stringify({ worker_ms: Number(ms.toFixed(1)), workers: n })}`);
  await Promise.all(workers.map((w) => w.terminate()));
}
