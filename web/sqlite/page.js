// page.js — runs the SQLite demo's queries and draws its connections.
// Every query is one call of sqlite.c's run_query, so one C task: the
// sixteen "at once" are sixteen calls in flight together, each on its own
// connection; "one at a time" awaits each call before making the next, on
// one connection. While they wait, the page reads sqlite.c's conn_states
// (and http_vfs.c's counters they point to) from wasm memory every frame.
// The files are .js, not .mjs: a stock nginx sends .mjs as bytes, which
// no browser runs as a module.
import { load } from '../wasync.js';
import { loadOrShow, showFailure } from '../fail.js';
import createModule from './sqlite.js';

const DB = 'test.db';
const ONE = 16; // the connection of "one at a time"; 0..15 are "at once"
const CONSOLE = 17; // the visitor's own queries
const STATES = ['closed', 'opening', 'idle', 'running', 'done', 'cancelled', 'failed'];
const $ = (id) => document.getElementById(id);
const decoder = new TextDecoder();

// Every page SQLite reads goes to the server: the browser's HTTP cache would
// store each 4 KiB range of the file, costing more than the request, and
// answer a later run from its copy, which would make the comparison of the
// two runs meaningless. wasync's wa_fetch calls the page's fetch().
const pageFetch = globalThis.fetch;
globalThis.fetch = (input, init) => pageFetch(input, String(input).endsWith(`/${DB}`) || input === DB ? { ...init, cache: 'no-store' } : init);

const app = await loadOrShow(load(createModule, { printErr: (s) => console.warn(s) }));
// SQLite's parser and sorter like a deeper stack than a task's default 64 KiB.
const runQuery = app.cwrap('run_query', 'array', ['number', 'string'], { stackSize: 256 * 1024 });
const openConn = app.cwrap('open_conn', 'number', ['number', 'string']);
const queryText = app.cwrap('demo_query', 'string', ['number']);
await app.main(); // registers the VFS

const nConns = await app.ccall('conn_count', 'number', []);
const statesAt = (await app.ccall('conn_states', 'number', [])) >> 2;
const queries = [];
for (let q; (q = await queryText(queries.length)) !== null;) queries.push(q);

// ---- wasm memory: sqlite.c's conn_state (8 words) and http_vfs_stats (5 int64) ----
const i64 = (w) => app.module.HEAPU32[w] + app.module.HEAP32[w + 1] * 4294967296;
function conn(i) {
  const w = statesAt + i * 8;
  const h = app.module.HEAP32;
  const vfs = h[w + 6] >> 2;
  return {
    state: STATES[h[w]], error: h[w + 1], ms: h[w + 2], rows: h[w + 3], started: i64(w + 4),
    requests: vfs ? i64(vfs) : 0, bytes: vfs ? i64(vfs + 2) : 0,
    readOffset: vfs ? i64(vfs + 4) : -1, readLength: vfs ? i64(vfs + 6) : 0, readStarted: vfs ? i64(vfs + 8) : 0,
  };
}

// ---- the two columns ---------------------------------------------------------------
const columns = {
  at: { name: 'at once', ms: null, running: false, rows: [] },
  one: { name: 'one at a time', ms: null, running: false, rows: [] },
};
// For tests and the curious: what each run returned.
window.sqliteDemo = { columns, queries };

function resetColumn(col, state = 'queued') {
  col.ms = null;
  col.rows = queries.map(() => ({ state, conn: -1, call: null, stats: null, result: null }));
}

/** Runs queries[i] on connection c as row i of col; resolves when it ended, however. */
async function runRow(col, i, c) {
  const row = col.rows[i];
  row.state = 'running';
  row.conn = c;
  row.call = runQuery(c, queries[i]);
  let text = null;
  let cancelled = false;
  try {
    const bytes = await row.call;
    text = bytes ? decoder.decode(bytes) : null;
  } catch (e) {
    if (e.code !== 'WA_ECANCELED') throw e;
    cancelled = true;
  }
  const s = conn(c);
  row.stats = s;
  // NULL from run_query: the connection was not open, or busy.
  row.state = cancelled ? 'cancelled' : text === null ? 'failed' : s.state;
  row.result = row.state === 'done' ? text : null;
  row.message = row.state === 'failed' ? text : null;
  row.call = null;
}

async function runColumn(key) {
  const col = columns[key];
  resetColumn(col);
  col.running = true;
  buttons();
  const t0 = performance.now();
  try {
    if (key === 'at') await Promise.all(queries.map((_, i) => runRow(col, i, i)));
    else for (let i = 0; i < queries.length; i++) await runRow(col, i, ONE);
    col.ms = performance.now() - t0;
  } finally {
    col.running = false;
    buttons();
  }
}

function buttons() {
  const busy = columns.at.running || columns.one.running;
  for (const id of ['compare', 'run-at', 'run-one']) $(id).disabled = busy;
}

$('run-at').onclick = () => runColumn('at');
$('run-one').onclick = () => runColumn('one');
$('compare').onclick = async () => {
  await runColumn('at');
  await runColumn('one');
};

// ---- the visitor's query --------------------------------------------------------------
let sqlCall = null;
$('slow').onclick = () => {
  $('sql').value = 'SELECT count(*), round(avg(score), 3), sum(length(payload)) FROM items WHERE score > 100';
};
$('run-sql').onclick = async () => {
  if (sqlCall) return;
  $('run-sql').disabled = true;
  $('cancel-sql').disabled = false;
  $('sql-out').textContent = '';
  sqlCall = runQuery(CONSOLE, $('sql').value);
  let text = null;
  try {
    const bytes = await sqlCall;
    text = bytes ? decoder.decode(bytes) : null;
  } catch (e) {
    if (e.code !== 'WA_ECANCELED') throw e;
  } finally {
    sqlCall = null;
    $('run-sql').disabled = false;
    $('cancel-sql').disabled = true;
  }
  const s = conn(CONSOLE);
  $('sql-out').textContent = s.state === 'cancelled'
    ? `cancelled (WA_ECANCELED): the request in flight was aborted, after ${fmt(s.requests)} requests`
    : text ?? '';
};
$('cancel-sql').onclick = () => sqlCall && sqlCall.cancel();

// ---- drawing ------------------------------------------------------------------------
// 1234567 -> "1 234 567" (toLocaleString is slow enough to show in a profile).
const fmt = (n) => String(Math.round(n)).replace(/\B(?=(\d{3})+$)/g, '\u202f');
const kib = (n) => (n / 1024).toFixed(0);
const label = (c) => (c < ONE ? `at once #${c + 1}` : c === ONE ? 'one at a time' : 'your query');
const history = [];

function rowStats(row) {
  if (row.state === 'running' && row.conn >= 0) {
    const s = conn(row.conn);
    return { ...s, ms: s.state === 'running' ? performance.now() - s.started : s.ms, rows: null };
  }
  return row.stats;
}

function drawColumn(key) {
  const col = columns[key];
  const body = $(`${key}-rows`);
  if (body.children.length !== col.rows.length) {
    body.innerHTML = col.rows.map((_, i) => `<tr id="${key}-${i}"><td>${i + 1}</td><td class="state"></td>` +
      '<td class="num"></td><td class="num"></td><td class="num"></td><td class="num"></td></tr>').join('');
  }
  col.rows.forEach((row, i) => {
    const tr = body.children[i];
    const s = rowStats(row);
    tr.dataset.state = row.state;
    const cells = tr.children;
    const cancel = row.state === 'running' ? `<button class="danger" data-col="${key}" data-row="${i}" title="cancel this query">cancel</button>` : '';
    if (cells[1].dataset.v !== row.state) {
      cells[1].dataset.v = row.state;
      cells[1].innerHTML = `${row.state}${cancel}`;
    }
    cells[2].textContent = s && s.rows !== null ? fmt(s.rows) : '';
    cells[3].textContent = s ? fmt(s.ms) : '';
    cells[4].textContent = s ? fmt(s.requests) : '';
    cells[5].textContent = s ? kib(s.bytes) : '';
  });
  $(`${key}-ms`).textContent = col.ms === null ? '–' : `${fmt(col.ms)} ms`;
  $(`${key}-state`).textContent = col.running ? 'running…' : col.ms === null ? '' : 'done';
}

document.addEventListener('click', (e) => {
  const b = e.target.closest('button[data-col]');
  const row = b && columns[b.dataset.col].rows[Number(b.dataset.row)];
  if (row && row.call) row.call.cancel();
});

function drawQueries() {
  const list = $('queries');
  if (list.children.length !== queries.length) {
    list.innerHTML = queries.map((q, i) => `<li><code></code> <span class="stat" id="check-${i}"></span><pre class="log" id="out-${i}"></pre></li>`).join('');
    queries.forEach((q, i) => { list.children[i].firstChild.textContent = q; });
  }
  queries.forEach((_, i) => {
    const a = columns.at.rows[i];
    const o = columns.one.rows[i];
    const r = a && a.result !== null ? a.result : o ? o.result : null;
    const out = $(`out-${i}`);
    if (out.textContent !== (r ?? '')) out.textContent = r ?? '';
    let check = '';
    if (a && o && a.result !== null && o.result !== null) {
      check = a.result === o.result ? '✓ both runs returned the same rows' : '✗ the two runs differ';
      $(`check-${i}`).className = `stat ${a.result === o.result ? 'same' : 'differs'}`;
    }
    $(`check-${i}`).textContent = check;
  });
}

function drawFlight() {
  const lines = [];
  const now = performance.now();
  for (let c = 0; c < nConns; c++) {
    const s = conn(c);
    if (s.readOffset < 0) continue;
    lines.push(`${label(c)} · bytes ${fmt(s.readOffset)}–${fmt(s.readOffset + s.readLength - 1)} · ${fmt(now - s.readStarted)} ms`);
  }
  $('inflight').textContent = lines.length;
  const box = $('flight');
  const html = lines.map((l) => `<div>${l}</div>`).join('');
  if (box.innerHTML !== html) box.innerHTML = html;
  history.push(lines.length);
  if (history.length > 120) history.shift();
  const cv = $('chart');
  const g = cv.getContext('2d');
  g.clearRect(0, 0, cv.width, cv.height);
  g.fillStyle = '#7c9cff';
  const w = cv.width / 120;
  history.forEach((n, i) => {
    const h = (n / nConns) * (cv.height - 4);
    g.fillRect(i * w, cv.height - h, Math.ceil(w), h);
  });
}

function drawConsole() {
  const s = conn(CONSOLE);
  const live = s.state === 'running';
  $('sql-state').textContent = s.state === 'idle' ? '–' : s.state;
  $('sql-rows').textContent = live || s.state === 'idle' ? '–' : fmt(s.rows);
  $('sql-ms').textContent = s.state === 'idle' ? '–' : fmt(live ? performance.now() - s.started : s.ms);
  $('sql-requests').textContent = s.state === 'idle' ? '–' : fmt(s.requests);
  $('sql-kib').textContent = s.state === 'idle' ? '–' : kib(s.bytes);
}

// Four times a second: drawing (layout and paint, all on this thread) must
// not take the time the queries are measured in.
let drawn = 0;
function draw(now) {
  requestAnimationFrame(draw);
  if (now - drawn < 250) return;
  drawn = now;
  drawColumn('at');
  drawColumn('one');
  const a = columns.at.ms;
  const o = columns.one.ms;
  $('speedup').textContent = a && o ? `${(o / a).toFixed(1)}×` : '–';
  drawFlight();
  drawConsole();
  drawQueries();
}

// ---- start: open every connection (each reads the schema once) ----------------------
resetColumn(columns.at, 'not run');
resetColumn(columns.one, 'not run');
requestAnimationFrame(draw);
$('status').textContent = `opening ${nConns} connections…`;
const opened = await Promise.all(Array.from({ length: nConns }, (_, i) => openConn(i, DB)));
if (opened.some((rc) => rc !== 0)) {
  showFailure(new Error(`SQLite could not open ${DB} over HTTP (SQLite code ${opened.find((rc) => rc !== 0)}): ` +
    'the server must answer Range requests with 206'));
} else {
  const entry = performance.getEntriesByType('resource').find((e) => e.name.endsWith(`/${DB}`));
  const proto = entry && entry.nextHopProtocol;
  $('protocol').textContent = proto || 'HTTP';
  $('protocol-note').textContent = proto === 'h2' || proto === 'h3'
    ? 'every request shares one connection to the server'
    : 'HTTP/1.1: the browser keeps at most 6 connections to a server, so at most 6 requests are in flight; served over HTTP/2, all 16 are';
  const size = Number((await fetch(DB, { method: 'HEAD' })).headers.get('content-length'));
  if (size) $('db-size').textContent = `${(size / 1048576).toFixed(0)} MB`;
  for (const id of ['compare', 'run-at', 'run-one', 'run-sql', 'slow']) $(id).disabled = false;
  $('status').textContent = 'ready';
  document.body.dataset.ready = '1';
}
