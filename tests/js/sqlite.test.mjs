// SQLite, built unchanged with wasync, reading a 100+ MB database over HTTP
// Range requests (examples/sqlite-http-vfs) from a real server on 127.0.0.1,
// checked against a native build of the same amalgamation. The first run
// downloads SQLite from the npm registry and builds it (minutes); later runs
// reuse build/sqlite/.
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { prepareSqlite } from '../sqlite/prepare.mjs';
import { startRangeServer } from '../sqlite/range-server.mjs';
import { runProgram } from './helpers.mjs';

let sq;
let server;

beforeAll(async () => {
  sq = prepareSqlite();
  server = await startRangeServer(sq.db);
}, 30 * 60000);

afterAll(async () => { if (server) await server.close(); });

const native = (args) => spawnSync(sq.native, args, { encoding: 'utf8' }).stdout;

test('64 tasks with a connection each return exactly what native SQLite returns', () => {
  expect(fs.statSync(sq.db).size).toBeGreaterThanOrEqual(100 * 1024 * 1024);
  const args = ['64', '20', String(sq.rows)];
  const r = runProgram(sq.lookup, ['lookup', server.url, ...args], { timeout: 240000 });
  expect(r.stderr).toMatch(/^lookups: 64 tasks x 20 in \d+ ms, \d+ requests\n$/);
  expect(r.status).toBe(0);
  const want = native(['lookup', sq.db, ...args]);
  expect(want.split('\n')).toHaveLength(65);
  expect(r.stdout).toBe(want);
}, 300000);

test('lookup-serial runs the same tasks one at a time and prints what native SQLite prints', () => {
  const args = ['8', '5', String(sq.rows)];
  const r = runProgram(sq.lookup, ['lookup-serial', server.url, ...args], { timeout: 120000 });
  expect(r.stderr).toMatch(/^lookups: 8 tasks x 5 in \d+ ms, \d+ requests\n$/);
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(native(['lookup', sq.db, ...args]));
}, 180000);

test('a timeout and a wa_cancel in the middle of a read are SQLITE_IOERR, and the connection works after', () => {
  // Every read takes 150 ms; the timeout (50 ms) and the cancel (50 ms
  // after the reader started) both land inside one.
  const r = runProgram(sq.lookup, ['interrupt', `${server.url}?delay=150`, String(sq.rows)], { timeout: 120000 });
  const ref = native(['lookup', sq.db, '9', '1', String(sq.rows)]).split('\n');
  expect(r.stdout).toBe([
    'timeout: SQLITE_IOERR_READ (read ended by WA_ETIMEDOUT)',
    'timeout expired: 1',
    `after timeout: ok, ${ref[7]}`,
    'cancelled: SQLITE_IOERR_READ (read ended by WA_ECANCELED)',
    `after cancel: ok, ${ref[8]}`,
    '',
  ].join('\n'));
  expect(r.status).toBe(0);
}, 180000);
