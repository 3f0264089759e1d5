// fiber_host.mjs — runs the emscripten_fiber_swap benchmark built by driver.mjs.
// Emscripten 3.1.6's MODULARIZE loader would fetch() the .wasm path in Node
// and fail, so the binary is read here and passed as wasmBinary.
// Usage: node bench/fiber_host.mjs <factory.cjs> <module.wasm> [main args...]
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const [factoryPath, wasmPath, ...args] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const factory = require(path.resolve(factoryPath));
const mod = await factory({
  wasmBinary: fs.readFileSync(wasmPath),
  print: (s) => process.stdout.write(`${s}\n`),
  printErr: (s) => process.stderr.write(`${s}\n`),
});
process.exitCode = mod.callMain(args);
