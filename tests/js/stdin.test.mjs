// stdin and stdout of plain POSIX C (issue 20, item 3): fgets, scanf,
// getchar, getline and read(0) read a file, a pipe or load()'s source; a read
// with no data yet suspends only its task; the end is the end; a closed
// stdout ends the program with status 141 and no message.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { load } from '../../js/runtime/index.mjs';
import { OUT, buildFixture } from './helpers.mjs';

const INPUT = 'first line\n42 3.5 word\ngetline here\nrest one\nrest two\n';
const MIXED = [
  'read: 6 [first ]',
  'fgets: [line]',
  'scanf: 3 42 3.50 [word]',
  'getchar: 10',
  'getline: 13 [getline here]',
  'rest: [rest one]',
  'rest: [rest two]',
  'end: feof=1 ferror=0',
  'after end: read 0 0',
].join('\n') + '\n';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Runs the program with a child's stdin fed by feed(child) and resolves with its status and output.
function run(file, args, feed) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    feed(child);
  });
}

for (const mode of ['release', 'debug']) {
  const extra = mode === 'debug' ? ['--debug'] : [];
  let file;
  beforeAll(() => {
    file = buildFixture('stdin', extra);
  }, 300000);

  test(`${mode}: read(0), fgets, scanf, getchar and getline read a file in order, then the end, twice`, () => {
    const input = path.join(OUT, `stdin-input-${mode}.txt`);
    fs.writeFileSync(input, INPUT);
    const fd = fs.openSync(input, 'r');
    try {
      const r = spawnSync(process.execPath, [file, 'mixed'], { stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8', timeout: 60000 });
      expect([r.stdout, r.stderr, r.status]).toEqual([MIXED, '', 0]);
    } finally {
      fs.closeSync(fd);
    }
  });

  test(`${mode}: a pipe that delivers late suspends only the reading task: another task ticks meanwhile`, async () => {
    const r = await run(file, ['late'], (child) => {
      child.stdout.once('data', async () => {   // "waiting": main is in fgets
        await sleep(300);
        child.stdin.end('hello\n');
      });
    });
    expect([r.stderr, r.status]).toEqual(['', 0]);
    const m = /^waiting\nlate: \[hello\] ticks=(\d+)\n$/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(Number(m[1])).toBeGreaterThanOrEqual(10); // 300 ms of 10 ms sleeps
  });

  test(`${mode}: a pipe read in pieces gives the same as the file, and its end is the end`, async () => {
    const r = await run(file, ['mixed'], async (child) => {
      for (let i = 0; i < INPUT.length; i += 7) {
        child.stdin.write(INPUT.slice(i, i + 7));
        await sleep(5);
      }
      child.stdin.end();
    });
    expect([r.stdout, r.stderr, r.status]).toEqual([MIXED, '', 0]);
  });

  test(`${mode}: load(f, { stdin: 'a string' }) is the program's stdin`, async () => {
    let out = '';
    const app = await load((await import(file)).default, { stdin: INPUT, print: (s) => { out += `${s}\n`; } });
    expect(await app.main(['mixed'])).toBe(0);
    expect(out).toBe(MIXED);
  });

  test(`${mode}: load(f, { stdin: asyncIterable }) waits for each chunk in the task`, async () => {
    async function* chunks() {
      const bytes = new TextEncoder().encode(INPUT);
      for (let i = 0; i < bytes.length; i += 7) { // a pipe's read takes what is there: 7 >= read(0, 6)
        await sleep(2);
        yield (i / 7) % 2 ? bytes.slice(i, i + 7) : new TextDecoder().decode(bytes.slice(i, i + 7));
      }
    }
    let out = '';
    const app = await load((await import(file)).default, { stdin: chunks(), print: (s) => { out += `${s}\n`; } });
    expect(await app.main(['mixed'])).toBe(0);
    expect(out).toBe(MIXED);
  });

  test(`${mode}: writing to a closed stdout ends the program with 141 and nothing on stderr`, async () => {
    const r = await run(file, ['flood'], (child) => {
      child.stdout.once('data', () => child.stdout.destroy());
    });
    expect([r.status, r.stderr]).toEqual([141, '']);
  });
}

test('load() refuses a stdin it cannot read, with a TypeError', async () => {
  await expect(load(async () => ({}), { stdin: 42 })).rejects.toThrow(TypeError);
});
