// page.mjs — progress bars over the C downloads' state in wasm memory.
import { load } from '../wasync.mjs';
import { loadOrShow } from '../fail.mjs';
import createModule from './downloads.mjs';

const FILES = ['aurora.bin', 'nebula.bin', 'quasar.bin', 'pulsar.bin', 'comet.bin'];
const STATES = ['idle', 'queued', 'connecting', 'receiving', 'done', 'cancelled', 'failed'];
const $ = (id) => document.getElementById(id);

const app = await loadOrShow(load(createModule, { printErr: (s) => console.warn(s) }));
const start = app.cwrap('start_download', 'number', ['number', 'string']);
const cancel = app.cwrap('cancel_download', 'number', ['number']);
const setLimit = app.cwrap('set_limit', 'number', ['number']);
const setSpeed = app.cwrap('set_speed', 'number', ['number']);
const base = (await app.ccall('downloads_state', 'number', [])) >> 2;
const runningCount = () => FILES.filter((_, i) => {
  const s = app.module.HEAP32[base + i * 8];
  return s === 2 || s === 3;
}).length;
await app.main();

$('list').innerHTML = FILES.map((f, i) => `
  <div class="dl" id="dl-${i}" data-state="idle">
    <div class="name">${f}</div>
    <div class="bar"><div id="bar-${i}"></div></div>
    <div class="info" id="info-${i}">idle</div>
    <div><button class="secondary" id="btn-${i}">Start</button></div>
  </div>`).join('');

function mib(n) { return (n / 1048576).toFixed(1); }

function startOne(i) {
  // Each download is one C call (one task); the page shows its progress
  // from C memory. A cancelled call rejects with code WA_ECANCELED.
  start(i, new URL(`files/${FILES[i]}`, location.href).href).catch((e) => {
    if (e.code !== 'WA_ECANCELED') throw e;
  });
}

FILES.forEach((_, i) => {
  $(`btn-${i}`).onclick = () => {
    const s = STATES[app.module.HEAP32[base + i * 8]];
    if (s === 'queued' || s === 'connecting' || s === 'receiving') cancel(i);
    else startOne(i);
  };
});
$('start-all').onclick = () => FILES.forEach((_, i) => {
  const s = STATES[app.module.HEAP32[base + i * 8]];
  if (!['queued', 'connecting', 'receiving'].includes(s)) startOne(i);
});
$('cancel-all').onclick = () => FILES.forEach((_, i) => cancel(i));
$('limit').onchange = () => setLimit(Number($('limit').value));
$('speed').onchange = () => setSpeed(Number($('speed').value));

function render() {
  const h = app.module.HEAP32;
  FILES.forEach((_, i) => {
    const p = base + i * 8;
    const state = STATES[h[p]];
    const received = h[p + 1];
    const total = h[p + 2];
    const ms = h[p + 5];
    const row = $(`dl-${i}`);
    row.dataset.state = state;
    const pct = total > 0 ? Math.min(100, (received * 100) / total) : 0;
    $(`bar-${i}`).style.width = `${pct}%`;
    let info = state;
    if (state === 'receiving' || state === 'done' || state === 'cancelled') {
      const speed = ms > 0 ? ` · ${mib(received * 1000 / ms)} MiB/s` : '';
      info = `${mib(received)} / ${total > 0 ? mib(total) : '?'} MiB${speed}`;
      if (state !== 'receiving') info = `${state} · ${info}`;
    }
    if (state === 'failed') info = `failed (${h[p + 4]}, HTTP ${h[p + 3]})`;
    $(`info-${i}`).textContent = info;
    const active = state === 'queued' || state === 'connecting' || state === 'receiving';
    $(`btn-${i}`).textContent = active ? 'Cancel' : 'Start';
    $(`btn-${i}`).className = active ? 'danger' : 'secondary';
  });
  $('running').textContent = runningCount();
  requestAnimationFrame(render);
}
requestAnimationFrame(render);
document.body.dataset.ready = '1';
