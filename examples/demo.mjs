#!/usr/bin/env node
// demo.mjs — `make demo`: starts a small HTTP server on 127.0.0.1 (random
// port) in this process, then runs the built demo (build/demo/demo.mjs,
// from examples/demo.c) in its own Node process with the server's URL as
// its argument. The server trickles each download out in 16 KiB pieces so
// the C tasks' progress interleaves visibly.
//   GET /file/NAME?kib=N&ms=M   N KiB of data, 16 KiB every M ms
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const demo = process.argv[2] || path.join(ROOT, 'build', 'demo', 'demo.mjs');

const server = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  if (!u.pathname.startsWith('/file/')) {
    res.statusCode = 404;
    res.end('not found');
    return;
  }
  const total = Number(u.searchParams.get('kib') || 256) * 1024;
  const ms = Number(u.searchParams.get('ms') || 20);
  const piece = Buffer.alloc(16 * 1024, 'w');
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('Content-Length', String(total));
  let sent = 0;
  const timer = setInterval(() => {
    const n = Math.min(piece.length, total - sent);
    sent += n;
    if (sent >= total) {
      clearInterval(timer);
      res.end(piece.subarray(0, n));
    } else res.write(piece.subarray(0, n));
  }, ms);
  res.on('close', () => clearInterval(timer));
});

server.listen(0, '127.0.0.1', () => {
  const url = `http://127.0.0.1:${server.address().port}`;
  const child = spawn(process.execPath, [demo, url], { stdio: 'inherit' });
  child.on('exit', (code, signal) => {
    server.close();
    server.closeAllConnections?.();
    process.exitCode = code ?? (signal ? 1 : 0);
  });
});
