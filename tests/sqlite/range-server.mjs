// range-server.mjs — serves one file over HTTP with Range support, on
// 127.0.0.1, for the SQLite HTTP VFS (tests/sqlite, make bench).
//   node range-server.mjs <file>     prints "PORT <n>" once it listens
// GET with `Range: bytes=a-b` answers 206 with that slice; without a Range
// header 200 with the whole file; a range past the end 416. `?delay=MS`
// holds the answer MS milliseconds (a slow network). startRangeServer()
// runs it in a child process and resolves with { url, close() }.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);

function serve(file) {
  const fd = fs.openSync(file, 'r');
  const size = fs.fstatSync(fd).size;
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    const delay = Number(u.searchParams.get('delay') || 0);
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range || '');
    let start = 0;
    let end = size - 1;
    if (req.headers.range && !m) { res.writeHead(400).end(); return; }
    if (m) {
      start = Number(m[1]);
      end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
      if (start >= size || end < start) {
        res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
        return;
      }
    }
    const body = Buffer.alloc(end - start + 1);
    fs.readSync(fd, body, 0, body.length, start);
    const headers = { 'Content-Length': String(body.length), 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
    if (m) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    const send = () => res.writeHead(m ? 206 : 200, headers).end(req.method === 'HEAD' ? undefined : body);
    if (delay > 0) setTimeout(send, delay); else send();
  });
  server.keepAliveTimeout = 60000;
  server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
}

/** Starts the server on file in a child process: { url, close() }. */
export function startRangeServer(file) {
  const child = spawn(process.execPath, [SELF, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.on('exit', (code) => reject(new Error(`range server exited (${code})`)));
    child.stdout.on('data', (d) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (!m) return;
      resolve({
        url: `http://127.0.0.1:${m[1]}/${file.split('/').pop()}`,
        close: () => new Promise((done) => { child.removeAllListeners('exit'); child.on('exit', () => done()); child.kill(); }),
      });
    });
  });
}

if (process.argv[1] === SELF) serve(process.argv[2]);
