// servers.mjs — HTTP test server for the fetch tests, the demo's sibling
// and the fetch benchmark. startServer() runs it in a child process (so
// thousands of client and server sockets do not share one fd limit) and
// resolves with { url, port, stats(), close() }. refusedPort() returns a
// port on 127.0.0.1 that nothing listens on.
//
// Routes:
//   /hello          "hello world", Content-Type text/plain, X-Custom: Yes
//                   (and X-Pad: N "p"s with ?pad=N)
//   /big?n=BYTES    n bytes (byte i is i & 255), written with backpressure
//   /slow?chunks=N&ms=M&size=S   N chunks of S bytes ("x"), M ms apart
//   /hang           never answers (holds the request open)
//   /hold           sends the head and one byte, then holds the body open
//   /reset          head plus 1000 bytes of a 100000-byte body, then resets
//   /status/CODE    that status with body "status CODE"
//   /echo           JSON { method, headers, body } of the request
//   /stats          JSON { open, total, aborted } (this route not counted)
import { fork } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);

function serve() {
  const counts = requestCounts();
  const holding = new Set();
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    if (u.pathname === '/stats') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(counts.snapshot()));
      return;
    }
    if (u.pathname === '/bytes') { // not counted: its socket is written by hand
      // Issue 21 #10: the raw bytes of request header X-Bytes (hex), a
      // response header of raw bytes >= 0x80, and two Set-Cookie headers.
      // Written by hand: Node's res.setHeader sends a string as UTF-8.
      const got = req.headers['x-bytes'];
      const hex = got === undefined ? 'none' : Buffer.from(got, 'latin1').toString('hex');
      const sock = res.socket;
      res.detachSocket(sock);
      sock.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nX-Got: ${hex}\r\nX-Raw: `),
        Buffer.from([0xe9, 0xc3, 0xa9, 0xff]),
        Buffer.from('\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 5\r\nConnection: close\r\n\r\nbytes')]), () => sock.destroy());
      return;
    }
    counts.track(res);
    const q = (k, d) => (u.searchParams.has(k) ? Number(u.searchParams.get(k)) : d);
    switch (u.pathname) {
      case '/hello':
        res.setHeader('Content-Type', 'text/plain');
        res.setHeader('X-Custom', 'Yes');
        if (u.searchParams.has('pad')) res.setHeader('X-Pad', 'p'.repeat(q('pad', 0)));
        res.end('hello world');
        return;
      case '/big': {
        const n = q('n', 1 << 20);
        const block = Buffer.alloc(64 * 1024);
        for (let i = 0; i < block.length; i++) block[i] = i & 255;
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Content-Length', String(n));
        let sent = 0;
        const pump = () => {
          while (sent < n) {
            const len = Math.min(block.length, n - sent);
            sent += len;
            if (!res.write(len === block.length ? block : block.subarray(0, len))) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        res.on('close', () => { sent = n + 1; });
        pump();
        return;
      }
      case '/slow': {
        const chunks = q('chunks', 10);
        const ms = q('ms', 50);
        const size = q('size', 10);
        res.setHeader('Content-Type', 'text/plain');
        res.flushHeaders();
        let i = 0;
        const timer = setInterval(() => {
          if (i++ < chunks) res.write('x'.repeat(size));
          else { clearInterval(timer); res.end(); }
        }, ms);
        res.on('close', () => clearInterval(timer));
        return;
      }
      case '/hang':
        holding.add(res);
        res.on('close', () => holding.delete(res));
        return;
      case '/hold':
        res.setHeader('Content-Type', 'text/plain');
        res.write('x');
        holding.add(res);
        res.on('close', () => holding.delete(res));
        return;
      case '/reset':
        res.setHeader('Content-Length', '100000');
        res.write(Buffer.alloc(1000, 97));
        setTimeout(() => req.socket.resetAndDestroy ? req.socket.resetAndDestroy() : req.socket.destroy(), 20);
        return;
      case '/echo': {
        const parts = [];
        req.on('data', (d) => parts.push(d));
        req.on('end', () => {
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify({ method: req.method, headers: req.headers, body: Buffer.concat(parts).toString('utf8') }));
        });
        return;
      }
      default: {
        const m = /^\/status\/(\d{3})$/.exec(u.pathname);
        if (m) {
          res.statusCode = Number(m[1]);
          res.end(`status ${m[1]}`);
          return;
        }
        res.statusCode = 404;
        res.end('no such route');
      }
    }
  });
  server.keepAliveTimeout = 60000;
  server.maxHeadersCount = 0;
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    if (process.send) process.send({ port });
    else console.log(`listening on http://127.0.0.1:${port}`);
  });
  process.on('disconnect', () => process.exit(0));
}

/**
 * Request accounting shared by the test servers: track(res) counts a
 * request as open until its response finishes, or as aborted if its
 * connection closes first; snapshot() gives { open, total, aborted }.
 */
export function requestCounts() {
  const c = { open: 0, total: 0, aborted: 0 };
  return {
    track(res) {
      c.open++;
      c.total++;
      let finished = false;
      const done = () => { if (!finished) { finished = true; c.open--; } };
      res.on('finish', done);
      res.on('close', () => { if (!finished) { c.aborted++; done(); } });
    },
    snapshot: () => ({ ...c }),
  };
}

/**
 * Runs `file --serve` as a child process and resolves, once the child has
 * sent its first message (its ports), with { message, child, close() }.
 * Shared by every test server.
 */
export function forkServer(file, label) {
  return new Promise((resolve, reject) => {
    const child = fork(file, ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${label} exited (${code})`)));
    child.once('message', (message) => resolve({
      message,
      child,
      close() {
        return new Promise((res) => {
          if (child.exitCode !== null) { res(); return; }
          child.once('exit', () => res());
          child.kill();
        });
      },
    }));
  });
}

/** Starts the server in a child process. */
export async function startServer() {
  const { message: { port }, child, close } = await forkServer(SELF, 'test server');
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    child,
    close,
    async stats() {
      const r = await fetch(`${url}/stats`);
      return r.json();
    },
  };
}

/** A port on 127.0.0.1 with no listener (bound, then closed). */
export function refusedPort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

if (process.argv[1] === SELF && process.argv.includes('--serve')) serve();
