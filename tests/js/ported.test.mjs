// A POSIX program written without wasync in mind (fixtures/ported.c: main(),
// fgets on stdin, sleep, usleep, nanosleep, clock_nanosleep, poll and select
// as sleeps, setjmp/longjmp after a sleep, exit, a flood into a closed
// stdout), built unchanged in a release and a --debug build of the backend
// under test (WASYNC_TEST_BACKEND) and run as `node app.mjs`: what issue 20's
// ported-program bar asks of both backends.
import { spawn } from 'node:child_process';
import { BACKEND, buildFixture } from './helpers.mjs';

const HAS_JSPI = typeof WebAssembly.Suspending === 'function';
const RUNS = BACKEND !== 'jspi' || HAS_JSPI;

// Runs the program; feed(child) writes its stdin. Resolves with status and output.
function run(file, args, feed, { closeStdoutAfter } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (closeStdoutAfter && stdout.includes(closeStdoutAfter)) child.stdout.destroy();
    });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    feed(child);
  });
}

const SLEEPS = ['sleep 1000', 'usleep 60', 'nanosleep 60', 'clock 60', 'poll 60', 'select 60'];

(RUNS ? describe.each : describe.skip.each)([['release', []], ['debug', ['--debug']]])(`a ported POSIX program (${BACKEND}, %s)`, (kind, extra) => {
  let app;
  beforeAll(() => { app = buildFixture('ported', extra); }, 240000);

  test('main() reads commands from a pipe that delivers late and sleeps each way, then longjmps after a sleep', async () => {
    const r = await run(app, ['arg1'], (child) => {
      // The commands arrive one by one, 50 ms apart: each read waits.
      const lines = [...SLEEPS, 'jump 5'];
      let i = 0;
      const next = () => {
        if (i === lines.length) return child.stdin.end();
        child.stdin.write(`${lines[i++]}\n`);
        setTimeout(next, 50);
      };
      next();
    });
    expect(r).toEqual({
      status: 0,
      stderr: '',
      stdout: ['arg1 2', ...SLEEPS.map((s) => `${s.split(' ')[0]} slept enough`), 'jumped 7', '7 commands', ''].join('\n'),
    });
  }, 60000);

  test('exit(n) in main ends the program with n; a closed stdout ends it with 141 and no message', async () => {
    expect(await run(app, [], (child) => child.stdin.end('usleep 10\nexit 9\nusleep 10\n')))
      .toEqual({ status: 9, stderr: '', stdout: '- 1\nusleep slept enough\n' });
    const r = await run(app, [], (child) => child.stdin.end('flood\n'), { closeStdoutAfter: 'line 100\n' });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 141, stderr: '' });
  }, 60000);
});
