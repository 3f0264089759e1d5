// Imports the package by name (resolved through its exports map) and a
// module built by `wasync build`; Vite bundles both and emits the .wasm.
import { load } from 'wasync';
import createModule from './app.mjs';

const app = await load(createModule);
const square = app.cwrap('slow_square', 'number', ['number']);
const results = await Promise.all([square(3), square(4), square(5)]);
document.getElementById('out').textContent = `squares: ${results.join(' ')}; tasks after: ${app.tasks().length}`;
