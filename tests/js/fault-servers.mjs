// fault-servers.mjs — misbehaving servers for tests/js/faults.test.mjs.
// startFaultServers() runs them in a child process (the soak's client and
// server then use separate CPUs and fd tables) and resolves with
// { http, raw, stats(), close() }: http and raw are base URLs.
//
// http (node:http, keep-alive):
//   /small              "ok" (Content-Length 2)
//   /len?…              the length of the request's URL, as text (the server
//                       accepts heads up to 128 MiB, so a 50 MB URL fits)
//   /reset?ms=M         head plus 1000 bytes of a 100000-byte body, then an RST
//                       M ms later (default 150)
//   /hang               never answers
//   /stall-body         head plus 100 bytes of a 1000000-byte body, then nothing
//   /huge?n=BYTES       n bytes (Content-Length n), generated lazily with backpressure
// raw (node:net, speaks just enough HTTP by hand):
//   /bad-chunk          a chunked response whose second chunk size is "zz"
//   /close              closes the connection before sending anything
//
// stats() → { open, total, aborted, sockets, hangSockets, rawSockets, hugeSent }:
// open = requests not yet finished or closed; sockets = open HTTP connections;
// hangSockets = connections that carried a /hang or /stall-body request and
// are still open; rawSockets = open raw connections; hugeSent = bytes the
// last /huge wrote before it ended or was aborted.
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { forkServer, requestCounts } from './servers.mjs';

const SELF = fileURLToPath(import.meta.url);

function serve() {
  const counts = requestCounts();
  let hugeSent = 0;
  const sockets = new Set();
  const hangSockets = new Set();
  const rawSockets = new Set();
  const held = new Set();
  const block = Buffer.alloc(256 * 1024, 120);

  const server = http.createServer({ maxHeaderSize: 128 << 20 }, (req, res) => {
    const u = new URL(req.url, 'http://x');
    if (u.pathname === '/stats') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({
        ...counts.snapshot(), sockets: sockets.size - 1, hangSockets: hangSockets.size,
        rawSockets: rawSockets.size, hugeSent,
      }));
      return;
    }
    counts.track(res);
    const hold = () => {
      held.add(res);
      const s = req.socket;
      hangSockets.add(s);
      s.once('close', () => hangSockets.delete(s));
      res.on('close', () => held.delete(res));
    };
    switch (u.pathname) {
      case '/small':
        res.setHeader('Content-Length', '2');
        res.end('ok');
        return;
      case '/reset': {
        // The delay lets the client read the 1000 bytes first: an RST makes
        // the client's kernel drop data it has not read yet.
        const ms = u.searchParams.has('ms') ? Number(u.searchParams.get('ms')) : 150;
        res.setHeader('Content-Length', '100000');
        res.write(Buffer.alloc(1000, 97));
        setTimeout(() => (req.socket.resetAndDestroy ? req.socket.resetAndDestroy() : req.socket.destroy()), ms);
        return;
      }
      case '/len':
        res.end(String(req.url.length));
        return;
      case '/hang':
        hold();
        return;
      case '/stall-body':
        res.setHeader('Content-Length', '1000000');
        res.write(Buffer.alloc(100, 98));
        hold();
        return;
      case '/huge': {
        const n = Number(u.searchParams.get('n'));
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Content-Length', String(n));
        let sent = 0;
        let stop = false;
        hugeSent = 0;
        const pump = () => {
          while (!stop && sent < n) {
            const len = Math.min(block.length, n - sent);
            sent += len;
            hugeSent = sent;
            if (!res.write(len === block.length ? block : block.subarray(0, len))) {
              res.once('drain', pump);
              return;
            }
          }
          if (!stop) res.end();
        };
        res.on('close', () => { stop = true; });
        pump();
        return;
      }
      default:
        res.statusCode = 404;
        res.end('no such route');
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 60000;

  const raw = net.createServer((s) => {
    rawSockets.add(s);
    s.once('close', () => rawSockets.delete(s));
    s.on('error', () => {});
    let head = '';
    s.on('data', (d) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const path = head.split(' ')[1];
      head = '';
      if (path === '/close') {
        s.destroy();
      } else if (path === '/bad-chunk') {
        // Valid head and first chunk, then (50 ms later, so the client has
        // taken "hello": a stream that errors drops chunks not yet read) a
        // chunk size that is not hex. The connection is left open: only the
        // parser can notice.
        s.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n' +
          '5\r\nhello\r\n');
        setTimeout(() => { if (!s.destroyed) s.write('zz\r\nworld\r\n'); }, 50);
      } else {
        s.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      }
    });
  });

  server.listen(0, '127.0.0.1', () => {
    raw.listen(0, '127.0.0.1', () => {
      process.send({ http: server.address().port, raw: raw.address().port });
    });
  });
  process.on('disconnect', () => process.exit(0));
}

/** Starts both servers in a child process. */
export async function startFaultServers() {
  const { message: ports, child, close } = await forkServer(SELF, 'fault server');
  const httpUrl = `http://127.0.0.1:${ports.http}`;
  return {
    http: httpUrl,
    raw: `http://127.0.0.1:${ports.raw}`,
    child,
    close,
    async stats() {
      // A connection of its own (not counted in sockets), never one of the
      // pool's that the code under test uses.
      return new Promise((res, rej) => {
        http.get(`${httpUrl}/stats`, { agent: false }, (r) => {
          let s = '';
          r.setEncoding('utf8');
          r.on('data', (d) => { s += d; });
          r.on('end', () => res(JSON.parse(s)));
        }).on('error', rej);
      });
    },
  };
}

if (process.argv[1] === SELF && process.argv.includes('--serve')) serve();
