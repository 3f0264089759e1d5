// page.mjs — a JS counter that keeps counting while the C loop "blocks".
import { load } from '../wasync.mjs';
import { loadOrShow } from '../fail.mjs';
import createModule from './responsive.mjs';

const $ = (id) => document.getElementById(id);
const log = (s) => {
  const el = $('log');
  el.textContent = (el.textContent + s + '\n').split('\n').slice(-14).join('\n');
};
const app = await loadOrShow(load(createModule, { print: log, printErr: log }));
let runLoop = app.cwrap('run_loop_mode', 'number', ['string', 'number']);
let rounds = app.cwrap('loop_rounds', 'number', []);
await app.main();

// "Count primes on threads": the same C built with --threads
// (responsive-threads.mjs), loaded on first use; its prime count runs
// through wa_to_thread on a pool of Workers, one per core.
let threaded = null;
async function threadsApp() {
  if (!threaded) {
    const { default: create } = await import('./responsive-threads.mjs');
    threaded = await load(create, { print: log, printErr: log });
    await threaded.main();
  }
  return threaded;
}

// Something to scroll.
$('filler').innerHTML = Array.from({ length: 40 }, (_, i) =>
  `<p>Paragraph ${i + 1}. Scroll me while the C loop runs: the page stays smooth because a
  waiting C task costs the event loop nothing, and a computing one hands it back at every
  await point.</p>`).join('');

let count = 0;
let last = performance.now();
let maxGap = 0;
function frame(now) {
  count++;
  const gap = now - last;
  last = now;
  if ($('loop-state').textContent === 'running' && gap > maxGap) maxGap = gap;
  $('counter').textContent = count;
  $('gap').textContent = Math.round(maxGap);
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);

$('start').onclick = async () => {
  $('start').disabled = true;
  $('stop').disabled = false;
  $('loop-state').textContent = 'running';
  maxGap = 0;
  const onThreads = $('threads').checked;
  let which = app;
  if (onThreads) {
    try {
      which = await threadsApp();
    } catch (e) {
      log(e.message); // no SharedArrayBuffer: the page is not cross-origin isolated
      $('threads').checked = false;
      $('start').disabled = false;
      $('stop').disabled = true;
      $('loop-state').textContent = 'idle';
      return;
    }
  }
  runLoop = which.cwrap('run_loop_mode', 'number', ['string', 'number']);
  rounds = which.cwrap('loop_rounds', 'number', []);
  $('cores').textContent = onThreads ? `${navigator.hardwareConcurrency || '?'} threads` : 'the event-loop thread';
  const timer = setInterval(async () => { $('rounds').textContent = await rounds(); }, 250);
  // The loop is one C call, i.e. one task; Stop cancels it through the
  // call's promise, which then rejects with code WA_ECANCELED.
  loop = runLoop(new URL('data.txt', location.href).href, onThreads ? 1 : 0);
  let state;
  try {
    state = `ended (${await loop})`;
  } catch (e) {
    if (e.code !== 'WA_ECANCELED') throw e;
    state = 'stopped';
  }
  clearInterval(timer);
  $('rounds').textContent = await rounds();
  $('loop-state').textContent = state;
  $('start').disabled = false;
  $('stop').disabled = true;
};
let loop = null;
$('stop').onclick = () => { if (loop) loop.cancel(); };
window.wasyncApp = app; // for the console (and the browser test of the time slice)
document.body.dataset.ready = '1';
