// kernel_tax.mjs — f) the Asyncify tax on code that never awaits: a compute
// kernel built with plain emcc and with wasync (time, code size, and whether
// Asyncify instrumented it).
import fs from 'node:fs';
import path from 'node:path';
import { BENCH, benchLines, emccModularized, exec, FIBER_HOST, med, NODE, OUT, wasyncBuild } from '../driver.mjs';
import { KERNEL_ITERS, REPS } from '../knobs.mjs';
import { fmt, ms, ratio, val } from '../table.mjs';
import { exportNameInGlue, parseWasm } from '../wasm_funcs.mjs';

export const KERNEL_DIR = path.join(OUT, 'kernel');
export const KERNEL_PLAIN = path.join(KERNEL_DIR, 'kernel_plain.cjs');
export const KERNEL_PLAIN_WASM = path.join(KERNEL_DIR, 'kernel_plain.wasm');
const KERNEL_WASYNC = path.join(KERNEL_DIR, 'kernel_wasync.mjs');
const KERNEL_WASYNC_WASM = path.join(KERNEL_DIR, 'kernel_wasync.wasm');

export const method = 'f) bench/kernel_bench.c: integer + float loop in a function that never awaits, built with plain `emcc -O3` and with ' +
      '`wasync build -O3` (js/cli/build.mjs link flags: -sASYNCIFY=1 …, linked with the runtime). Code size: the kernel\'s body in ' +
      'each .wasm (found through its export); it is not instrumented when, in `wasm-opt --print`, it has no calls and no global ' +
      'accesses (Asyncify\'s instrumentation reads its state global at entry and after every call). The few bytes of difference come ' +
      'from Binaryen re-optimizing the whole module after the asyncify pass.';

export default [
  // f) Asyncify tax on code that never awaits
  {
    id: 'asyncify-tax',
    title: `Asyncify tax: compute kernel (${KERNEL_ITERS} iterations) built with plain emcc -O3 vs wasync's link flags + runtime (x ${REPS}, 2 processes each)`,
    async build() {
      const src = path.join(BENCH, 'kernel_bench.c');
      await emccModularized(['-O3'], src, KERNEL_DIR, 'kernel_plain', 'createKernel');
      await wasyncBuild(src, '-O3', '-DWASYNC_BUILD', '-o', KERNEL_WASYNC);
    },
    async run() {
      const plain = [];
      const wa = [];
      for (let i = 0; i < 2; i++) { // alternate, so drift hits both alike
        plain.push(...benchLines(await exec(NODE, [FIBER_HOST, KERNEL_PLAIN, KERNEL_PLAIN_WASM, KERNEL_ITERS, REPS].map(String))));
        wa.push(...benchLines(await exec(NODE, [KERNEL_WASYNC, KERNEL_ITERS, REPS].map(String))));
      }
      if (plain[0].result !== wa[0].result) throw new Error('the two kernel builds disagree');
      const inspect = async (wasmFile, glueFile) => {
        const mod = parseWasm(fs.readFileSync(wasmFile));
        const name = exportNameInGlue(fs.readFileSync(glueFile, 'utf8'), 'kernel');
        // Instrumented code reads Asyncify's state global at its entry and
        // after each call; the kernel should have neither calls nor globals.
        // Emscripten 4+ emits bulk-memory and nontrapping float-to-int
        // by default: wasm-opt must be told features are allowed.
        const text = await exec('wasm-opt', ['--all-features', wasmFile, '--print']);
        const fn = new RegExp(`\\(export "${name}" \\(func (\\$\\S+)\\)\\)`).exec(text)?.[1];
        const start = fn ? text.indexOf(`\n (func ${fn} `) : -1;
        const end = text.indexOf('\n (func ', start + 1);
        const body = start < 0 ? '' : text.slice(start, end < 0 ? undefined : end);
        return {
          bytes: mod.exportBody(name).length,
          codeBytes: mod.codeBytes,
          wasmBytes: fs.statSync(wasmFile).size,
          functions: mod.functions,
          touches: start < 0 ? -1 : (body.match(/\b(call|call_indirect|global\.get|global\.set)\b/g) || []).length,
        };
      };
      const p = await inspect(KERNEL_PLAIN_WASM, KERNEL_PLAIN);
      const w = await inspect(KERNEL_WASYNC_WASM, KERNEL_WASYNC);
      return {
        kernel_plain_ms: med(plain.map((x) => x.ms), 'ms'),
        kernel_wasync_ms: med(wa.map((x) => x.ms), 'ms'),
        kernel_plain_bytes: { value: p.bytes, unit: 'bytes', note: `kernel body; calls/global accesses in it: ${p.touches}` },
        kernel_wasync_bytes: { value: w.bytes, unit: 'bytes', note: `kernel body; calls/global accesses in it: ${w.touches}` },
        kernel_wasync_touches: { value: w.touches, unit: 'calls + global accesses in the kernel (wasm-opt --print)' },
        module_plain_bytes: { value: p.wasmBytes, unit: 'bytes', note: `.wasm, ${p.functions} functions, code section ${p.codeBytes} B` },
        module_wasync_bytes: { value: w.wasmBytes, unit: 'bytes', note: `.wasm incl. the runtime, ${w.functions} functions, code section ${w.codeBytes} B` },
      };
    },
    rows: (r) => [
      { row: 'f) Asyncify tax: compute kernel run time', wasync: ms(r, 'kernel_wasync_ms', 1), peer: ms(r, 'kernel_plain_ms', 1),
        ratio: ratio(r, 'kernel_wasync_ms', 'kernel_plain_ms'), bar: 1.05 },
      { row: 'f) Asyncify tax: kernel code size (not instrumented)', wasync: `${fmt(val(r, 'kernel_wasync_bytes'))} B`,
        peer: `${fmt(val(r, 'kernel_plain_bytes'))} B`, ratio: ratio(r, 'kernel_wasync_bytes', 'kernel_plain_bytes'),
        check: val(r, 'kernel_wasync_touches') === undefined ? undefined : val(r, 'kernel_wasync_touches') === 0,
        barText: 'no calls or global accesses' },
      { row: 'f) whole .wasm (wasync: with the runtime; info)', wasync: `${fmt(val(r, 'module_wasync_bytes'))} B`,
        peer: `${fmt(val(r, 'module_plain_bytes'))} B`, ratio: ratio(r, 'module_wasync_bytes', 'module_plain_bytes') },
    ],
  },
];
