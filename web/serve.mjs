#!/usr/bin/env node
// serve.mjs — a small static file server for the demos (`make serve`) and
// the browser tests. Serves one folder on 127.0.0.1 with the MIME types
// wasm needs (application/wasm, so instantiateStreaming works),
// Content-Length (so the downloads demo can show progress) and single
// Range requests (`bytes=a-b`, `bytes=a-`, `bytes=-n`: 206, or 416 past the
// end), which the SQLite demo's reads are. Every response makes the page
// cross-origin isolated (COOP/COEP: ISOLATION), which `wasync build
// --threads` modules need for SharedArrayBuffer; the pages served load
// nothing from other origins.
//
//   node web/serve.mjs [folder=build/web] [port=8080]
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.bin': 'application/octet-stream',
  '.db': 'application/octet-stream',
};

/** The headers of a cross-origin isolated page (README, "Threads"). */
export const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** The [first, last] bytes a Range header asks of a file of size bytes:
 *  null for none or one this server ignores (several ranges), 'unsatisfiable' past the end. */
export function parseRange(header, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header || '');
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let first;
  let last;
  if (m[1] === '') {
    first = Math.max(0, size - Number(m[2]));
    last = size - 1;
  } else {
    first = Number(m[1]);
    last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return first >= size || last < first ? 'unsatisfiable' : [first, last];
}

/** Starts serving `root`; resolves with { server, url, close() }. */
export function startServer({ root, host = '127.0.0.1', port = 0, log } = {}) {
  const base = path.resolve(root);
  const server = http.createServer((req, res) => {
    let rel;
    try {
      rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch (e) {
      res.writeHead(400).end();
      return;
    }
    let file = path.join(base, path.normalize(rel));
    if (file !== base && !file.startsWith(base + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    fs.stat(file, (err, st) => {
      if (!err && st.isDirectory()) {
        if (!rel.endsWith('/')) {
          res.writeHead(301, { Location: rel + '/' }).end();
          return;
        }
        file = path.join(file, 'index.html');
        try { st = fs.statSync(file); err = null; } catch (e) { err = e; }
      }
      if (err || !st.isFile()) {
        if (log) log(`404 ${req.url}`);
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
        return;
      }
      const range = parseRange(req.headers.range, st.size);
      if (range === 'unsatisfiable') {
        res.writeHead(416, { 'Content-Range': `bytes */${st.size}` }).end();
        return;
      }
      const [first, last] = range || [0, st.size - 1];
      res.writeHead(range ? 206 : 200, {
        'Content-Type': MIME[path.extname(file)] || 'application/octet-stream',
        'Content-Length': last - first + 1,
        'Accept-Ranges': 'bytes',
        'Cache-Control': 'no-cache',
        ...ISOLATION,
        ...(range ? { 'Content-Range': `bytes ${first}-${last}/${st.size}` } : {}),
      });
      if (req.method === 'HEAD' || last < first) {
        res.end();
        return;
      }
      const stream = fs.createReadStream(file, { start: first, end: last });
      stream.on('error', () => res.destroy());
      res.on('close', () => stream.destroy());
      stream.pipe(res);
    });
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(port, host, () => {
      const { port: p } = server.address();
      resolve({
        server,
        url: `http://${host}:${p}/`,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] || path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'build', 'web');
  const port = Number(process.argv[3] || process.env.PORT || 8080);
  const { url } = await startServer({ root, port, log: console.log });
  console.log(`wasync demos: ${url}  (serving ${path.resolve(root)}; Ctrl-C stops)`);
}
