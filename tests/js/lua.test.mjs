// Real C as people already built it: Lua 5.4 by its own `make posix` and
// zlib by its own `./configure && make`, both with CC="wasync cc" and
// unchanged (Debian's source packages, cached in build/lua by
// tests/lua/prepare.mjs). Lua scripts run in 100 tasks whose sleep and
// fetch await under pcall, in coroutines and in table.sort and gsub
// callbacks; zlib inflates gzip bodies fetched by several tasks.
import { execFile } from 'node:child_process';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { BACKEND } from './helpers.mjs';
import { prepareLua } from '../lua/prepare.mjs';

const TASKS = 100;
const GZ_TASKS = 8;

/** The body /gz/<i> serves gzipped: some kilobytes of text, different per i. */
function original(i) {
  const lines = [];
  for (let k = 0; k < 1500 + 100 * i; k++) lines.push(`body ${i} line ${k} ${'xyz'.repeat(k % 7)}`);
  return Buffer.from(lines.join('\n'));
}

let built;
let server;
let base;

beforeAll(async () => {
  built = prepareLua(BACKEND);
  server = http.createServer((req, res) => {
    const n = /^\/n\/(\w+)$/.exec(req.url);
    const gz = /^\/gz\/(\d+)$/.exec(req.url);
    if (n) {
      res.end(`${n[1]}!`);
    } else if (gz) {
      // Two writes 20 ms apart: the reader awaits in the middle of the stream.
      const body = zlib.gzipSync(original(Number(gz[1])));
      const half = body.length >> 1;
      res.setHeader('Content-Type', 'application/gzip');
      res.write(body.subarray(0, half));
      setTimeout(() => res.end(body.subarray(half)), 20);
    } else {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
}, 900000); /* the first run downloads and builds Lua and zlib: minutes */

afterAll(() => new Promise((resolve) => (server ? server.close(resolve) : resolve())));

/** Runs node on a program without blocking this process's event loop (the server lives here). */
function runNode(file, args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { encoding: 'utf8', timeout: 120000, maxBuffer: 1 << 24 },
      (error, stdout, stderr) => resolve({ status: error ? (error.code ?? 1) : 0, stdout, stderr }));
  });
}

test('lua built by `make posix CC="wasync cc"` runs a script under node', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasync-lua-'));
  try {
    const script = path.join(dir, 'hello.lua');
    fs.writeFileSync(script, [
      'local ok, e = pcall(error, "boom")',
      'local t = {3, 1, 2}; table.sort(t)',
      'print(_VERSION, ok, e, table.concat(t), ("x"):rep(3))',
    ].join('\n'));
    const r = await runNode(built.lua, [script]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('Lua 5.4\tfalse\tboom\t123\txxx\n');
    expect(r.status).toBe(0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test(`100 Lua tasks await in sleep and fetch under pcall, in coroutines, in sort and gsub callbacks, and overlap`, async () => {
  const r = await runNode(built.luaTasks, [String(TASKS), base, built.script]);
  const lines = r.stdout.trim().split('\n');
  const expected = [];
  for (let i = 1; i <= TASKS; i++) expected.push(`task ${i}: pcall 404 ${2 * i},${i + 1}! 54321 a${i}!-b${i}! co${i}`);
  expect({ tasks: lines.slice(0, TASKS), stderr: r.stderr }).toEqual({ tasks: expected, stderr: '' });
  expect(r.status).toBe(0);
  // Each task sleeps more than 200 ms and fetches 4 times: one task alone
  // takes about 0.6 s here, 100 one after the other would take over 20 s
  // (60 s here); overlapping, they take about 2.5 s (Lua's start-up in 100
  // states is most of it).
  const elapsed = Number(/^elapsed (\d+)$/.exec(lines[TASKS])[1]);
  expect(elapsed).toBeGreaterThanOrEqual(200);
  expect(elapsed).toBeLessThan((TASKS * 200) / 3);
});

test('zlib built by `./configure && make` inflates gzip bodies fetched by several tasks', async () => {
  const r = await runNode(built.zlibTasks, [String(GZ_TASKS), base]);
  const expected = [];
  for (let i = 1; i <= GZ_TASKS; i++) {
    const body = original(i);
    expected.push(`gz ${i}: ${body.length} ${zlib.crc32(body).toString(16).padStart(8, '0')}`);
  }
  expect({ lines: r.stdout.trim().split('\n'), stderr: r.stderr }).toEqual({ lines: expected, stderr: '' });
  expect(r.status).toBe(0);
});
