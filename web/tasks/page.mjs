// page.mjs — draws the walkers C keeps in wasm memory and shows app.tasks().
import { load } from '../wasync.mjs';
import { loadOrShow } from '../fail.mjs';
import createModule from './tasks.mjs';

const $ = (id) => document.getElementById(id);
const app = await loadOrShow(load(createModule, { print: (s) => console.log(s), printErr: (s) => console.warn(s) }));
const spawn = app.cwrap('spawn_walkers', 'number', ['number']);
const cancel = app.cwrap('cancel_walkers', 'number', ['number']);
const base = (await app.ccall('walkers_state', 'number', [])) >> 2;
const capacity = await app.ccall('walkers_capacity', 'number', []);
await app.main(['300']);

const canvas = $('canvas');
const ctx = canvas.getContext('2d');
let lastSteps = 0;
let lastRateAt = performance.now();

function fit() {
  const r = canvas.getBoundingClientRect();
  canvas.width = Math.max(300, Math.round(r.width * devicePixelRatio));
  canvas.height = Math.round(r.height * devicePixelRatio);
}
fit();
addEventListener('resize', fit);

function frame() {
  const f32 = app.module.HEAPF32;
  const i32 = app.module.HEAP32;
  const w = canvas.width;
  const h = canvas.height;
  ctx.fillStyle = 'rgba(7, 9, 20, 0.22)';
  ctx.fillRect(0, 0, w, h);
  let alive = 0;
  let steps = 0;
  const r = Math.max(2, devicePixelRatio * 2.5);
  for (let i = 0; i < capacity; i++) {
    const p = base + i * 8;
    if (!i32[p + 5]) continue;
    alive++;
    steps += i32[p + 7];
    ctx.fillStyle = `hsl(${300 - i32[p + 4]}, 90%, 62%)`;
    ctx.beginPath();
    ctx.arc(f32[p] * w, f32[p + 1] * h, r, 0, 6.2832);
    ctx.fill();
  }
  $('alive').textContent = alive;
  const now = performance.now();
  if (now - lastRateAt > 1000) {
    $('rate').textContent = Math.max(0, Math.round((steps - lastSteps) * 1000 / (now - lastRateAt)));
    lastSteps = steps;
    lastRateAt = now;
  }
  requestAnimationFrame(frame);
}

function table() {
  const tasks = app.tasks();
  $('task-count').textContent = tasks.length;
  const counts = {};
  for (const t of tasks) counts[t.state] = (counts[t.state] || 0) + 1;
  $('states').textContent = Object.entries(counts).map(([s, n]) => `${s}: ${n}`).join(' · ') || 'no tasks';
  const rows = tasks.slice(0, 250).map((t) =>
    `<tr><td>${t.id}</td><td>${escape(t.name)}</td><td class="state-${t.state}">${t.state}</td>` +
    `<td>${escape(t.waitingOn)}</td><td>${t.ms}</td></tr>`);
  if (tasks.length > 250) rows.push(`<tr><td colspan="5">… and ${tasks.length - 250} more</td></tr>`);
  $('tasks').innerHTML = rows.join('');
}

function escape(s) {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
}

async function act(button, fn) {
  button.disabled = true;
  try {
    const n = await fn();
    $('status').textContent = `${button.textContent}: ${n} task${n === 1 ? '' : 's'}`;
  } finally {
    button.disabled = false;
    table();
  }
}

$('spawn').onclick = () => act($('spawn'), () => spawn(50));
$('cancel').onclick = () => act($('cancel'), () => cancel(50));
$('cancel-all').onclick = () => act($('cancel-all'), () => cancel(capacity));
requestAnimationFrame(frame);
table();
setInterval(table, 500);
$('status').textContent = 'running';
document.body.dataset.ready = '1';
