// hostile-server.mjs — a seeded HTTP server that misbehaves on purpose, for
// tests/js/hostile.test.mjs (fixed routes for single defects, and a fuzzer).
// startHostileServer() runs it in a child process (node:net, HTTP written by
// hand so that any framing can be broken) on 127.0.0.1 and resolves with
// { url, stats(), close() }.
//
// Fixed routes:
//   /bomb?enc=gzip|br|deflate&n=BYTES  n zero bytes, compressed, sent with the
//                       encoded Content-Length (a decompression bomb)
//   /lie?cl=N&send=K    announces Content-Length N, sends K bytes, closes
//   /ok?len=N&seed=S[&chunked=1][&enc=E]  N bytes of bodyBytes(S, N), framed
//                       by Content-Length (or chunked), encoded with E
//   /stall-encoded?enc=E  half of an encoded body (Content-Length of all of
//                       it), then nothing
//   /fuzz?seed=S&i=I    the response planned by scenario(S, I)
//   /stats              JSON { sockets, served, headers, headerMismatch }: open
//                       connections (this one not counted), requests answered,
//                       X-Fuzz headers checked against h=, the first mismatch
//
// scenario(seed, i) is a pure function (the test imports it to know what to
// expect): { kind, expect, body } where expect is 'ok' (the request must
// succeed and deliver exactly `body`, decoded), 'fail' (it must fail:
// WA_ENET), 'stall' (the server never finishes: only a timeout ends it) or
// 'any' (hosts differ: any documented code will do).
import crypto from 'node:crypto';
import net from 'node:net';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { forkServer } from './servers.mjs';

const SELF = fileURLToPath(import.meta.url);

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n deterministic pseudo-random bytes for seed s (AES-CTR of zeros: native, fast). */
export function bodyBytes(s, n) {
  const key = Buffer.alloc(16);
  key.writeUInt32LE(s >>> 0, 0);
  return crypto.createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n));
}

/** CRC-32 of buf (continuing from prev): the fixture computes the same sum. */
export function crc(buf, prev = 0) {
  return zlib.crc32(buf, prev);
}

export function encode(enc, buf) {
  if (enc === 'gzip') return zlib.gzipSync(buf, { level: 1 });
  if (enc === 'deflate') return zlib.deflateSync(buf, { level: 1 });
  if (enc === 'br') return zlib.brotliCompressSync(buf, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 3 } });
  return buf;
}

const KINDS = [
  // [name, weight]
  ['ok-cl', 8], ['ok-chunked', 6], ['tiny-chunks', 4], ['ok-close', 3], ['encoded', 8], ['encoded-chunked', 4],
  ['bomb', 3], ['enc-corrupt', 4], ['enc-truncated', 3], ['enc-unknown', 2], ['enc-stacked', 2],
  ['cl-short', 4], ['cl-long', 2], ['cl-dup', 3], ['cl-bad', 3], ['cl-and-te', 2], ['chunk-bad', 5],
  ['stall-head', 2], ['stall-body', 2], ['trickle', 2], ['reset-mid', 4], ['close-early', 3],
  ['huge-header', 3], ['many-headers', 2], ['bad-status', 3], ['redirect', 4], ['redirect-loop', 2],
  ['redirect-bad', 2], ['continue', 2], ['header-garbage', 2],
];
const TOTAL = KINDS.reduce((n, k) => n + k[1], 0);
const ENCODINGS = ['gzip', 'br', 'deflate'];

/** The response planned for request i of seed: everything derives from (seed, i). */
export function scenario(seed, i) {
  const rnd = prng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0);
  const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = (a) => a[int(0, a.length - 1)];
  let w = rnd() * TOTAL;
  let kind = KINDS[0][0];
  for (const [k, n] of KINDS) { if ((w -= n) < 0) { kind = k; break; } }
  const len = pick([0, 1, int(2, 100), int(100, 5000), int(5000, 200000)]);
  const body = bodyBytes(seed ^ i, len);
  const enc = pick(ENCODINGS);
  const p = { kind, expect: 'ok', body, enc, n: int(1, 1 << 30) };
  switch (kind) {
    case 'bomb': p.body = Buffer.alloc(int(1, 8) << 20); break;
    case 'tiny-chunks': p.body = bodyBytes(seed ^ i, int(200, 3000)); break;
    case 'trickle': p.body = bodyBytes(seed ^ i, int(5, 60)); break;
    case 'enc-corrupt': p.expect = enc === 'gzip' ? 'fail' : 'any'; p.body = bodyBytes(seed ^ i, int(10, 5000)); break;
    // Node's fetch delivers a truncated compressed stream as a success.
    case 'enc-truncated': p.expect = 'any'; p.body = bodyBytes(seed ^ i, int(2000, 100000)); break;
    // Variants 0 and 2 break the framing; Node's fetch takes 1, 3 and 4
    // (bad data CRLF, control bytes in an extension, a body cut short by
    // the close) as the end of the body.
    case 'chunk-bad': p.v = int(0, 4); p.expect = p.v === 0 || p.v === 2 ? 'fail' : 'any'; break;
    case 'continue': p.expect = 'any'; break; // an unsolicited 100: hosts differ
    case 'cl-short': case 'reset-mid': case 'close-early': case 'bad-status':
    case 'redirect-loop': case 'cl-dup': case 'cl-bad':
      p.expect = 'fail'; break;
    case 'stall-head': case 'stall-body': p.expect = 'stall'; break;
    case 'huge-header': p.size = pick([20000, 100000, 1 << 20, 8 << 20]); p.expect = p.size >= 100000 ? 'fail' : 'any'; break;
    case 'cl-long': case 'cl-and-te': case 'enc-stacked': case 'many-headers': case 'redirect-bad':
    case 'header-garbage':
      p.expect = 'any'; break;
    default: break;
  }
  p.variant = int(0, 1 << 20);
  return p;
}

// Every connection carries one response (the server closes it after), and
// says so: a client never sends a second request on a connection about to close.
function head(status, headers) {
  const all = headers.some((h) => /^connection:/i.test(h)) ? headers : [...headers, 'Connection: close'];
  return `HTTP/1.1 ${status}\r\n${all.map((h) => `${h}\r\n`).join('')}\r\n`;
}

function chunked(buf, sizes) {
  const parts = [];
  for (let off = 0; off < buf.length;) {
    const n = Math.min(sizes(), buf.length - off);
    parts.push(Buffer.from(`${n.toString(16)}\r\n`), buf.subarray(off, off + n), Buffer.from('\r\n'));
    off += n;
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return parts;
}

function serve() {
  const sockets = new Set();
  const bombs = new Map();
  let served = 0;
  // Request header X-Fuzz checked against the CRC in the URL (h=): how many
  // were checked, and the first that differed.
  let headers = 0;
  let headerMismatch = null;
  const checkHeader = (rawHead, target) => {
    const h = new URL(target, 'http://x').searchParams.get('h');
    if (h === null) return;
    const line = rawHead.split('\r\n').find((l) => /^x-fuzz:/i.test(l));
    const value = line === undefined ? null : line.slice(line.indexOf(':') + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    headers++;
    const got = value === null ? null : crc(Buffer.from(value, 'latin1'));
    if (got !== Number(h) && !headerMismatch) {
      headerMismatch = `${target}: X-Fuzz ${value === null ? 'missing' : Buffer.from(value, 'latin1').toString('hex')}`;
    }
  };

  const bomb = (enc, n) => {
    const key = `${enc}:${n}`;
    if (!bombs.has(key)) {
      // Compressed a block at a time: the decoded body never exists here.
      const z = enc === 'gzip' ? zlib.createGzip({ level: 9 }) : enc === 'deflate' ? zlib.createDeflate({ level: 9 })
        : zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } });
      bombs.set(key, new Promise((resolve) => {
        const out = [];
        z.on('data', (d) => out.push(d));
        z.on('end', () => resolve(Buffer.concat(out)));
        const block = Buffer.alloc(1 << 20);
        let left = n;
        const pump = () => {
          while (left > 0) {
            const k = Math.min(left, block.length);
            left -= k;
            if (!z.write(k === block.length ? block : block.subarray(0, k))) { z.once('drain', pump); return; }
          }
          z.end();
        };
        pump();
      }));
    }
    return bombs.get(key);
  };

  // Writes parts (Buffers or ms delays) in order, then ends as `end` says.
  const play = async (s, parts, end = 'close') => {
    for (const part of parts) {
      if (s.destroyed) return;
      if (typeof part === 'number') await new Promise((r) => setTimeout(r, part));
      else if (!s.write(part)) await new Promise((r) => { s.once('drain', r); s.once('close', r); });
    }
    if (s.destroyed) return;
    if (end === 'close') s.end();
    else if (end === 'reset') (s.resetAndDestroy ? s.resetAndDestroy() : s.destroy());
    // 'stall': leave it open; the client gives up.
  };

  const fuzz = (s, seed, i) => {
    const p = scenario(seed, i);
    const rnd = prng(p.variant);
    const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
    const B = (x) => Buffer.from(x, 'latin1');
    const ok = (hdrs, body) => [B(head('200 OK', [...hdrs, `Content-Length: ${body.length}`])), body];
    const body = p.body;
    switch (p.kind) {
      case 'ok-cl': return play(s, ok(['Content-Type: application/octet-stream'], body));
      case 'ok-chunked':
        return play(s, [B(head('200 OK', ['Transfer-Encoding: chunked'])), ...chunked(body, () => int(1, 20000))]);
      case 'tiny-chunks': {
        const parts = [B(head('200 OK', ['Transfer-Encoding: chunked']))];
        const cs = chunked(body, () => int(1, 3));
        for (let k = 0; k < cs.length; k += 3) parts.push(Buffer.concat(cs.slice(k, k + 3)), ...(k % 90 === 0 ? [0] : []));
        return play(s, parts);
      }
      case 'ok-close': return play(s, [B(head('200 OK', ['Connection: close'])), body]);
      case 'encoded': return play(s, ok([`Content-Encoding: ${p.enc}`], encode(p.enc, body)));
      case 'encoded-chunked':
        return play(s, [B(head('200 OK', [`Content-Encoding: ${p.enc}`, 'Transfer-Encoding: chunked'])),
          ...chunked(encode(p.enc, body), () => int(1, 5000))]);
      case 'bomb': return play(s, ok([`Content-Encoding: ${p.enc}`], encode(p.enc, body)));
      case 'enc-corrupt': return play(s, ok([`Content-Encoding: ${p.enc}`], body));
      case 'enc-truncated': {
        const e = encode('gzip', body);
        return play(s, ok(['Content-Encoding: gzip'], e.subarray(0, e.length >> 1)));
      }
      case 'enc-unknown': return play(s, ok(['Content-Encoding: x-unheard-of'], body));
      case 'enc-stacked': return play(s, ok(['Content-Encoding: gzip, br'], encode('br', encode('gzip', body))));
      case 'cl-short':
        return play(s, [B(head('200 OK', [`Content-Length: ${body.length + int(1, 1 << 20)}`])), body]);
      case 'cl-long': return play(s, [B(head('200 OK', [`Content-Length: ${body.length}`])), body, B('extra bytes')]);
      case 'cl-dup':
        return play(s, [B(head('200 OK', [`Content-Length: ${body.length}`, `Content-Length: ${body.length + 1}`])), body]);
      case 'cl-bad': {
        const v = ['abc', '-1', '1e3', '99999999999999999999999', '0x10', '1 2', ''][int(0, 6)];
        return play(s, [B(head('200 OK', [`Content-Length: ${v}`])), body]);
      }
      case 'cl-and-te':
        return play(s, [B(head('200 OK', [`Content-Length: ${body.length}`, 'Transfer-Encoding: chunked'])),
          ...chunked(body, () => int(1, 5000))]);
      case 'chunk-bad': {
        const bad = [B('zz\r\nhello\r\n'), B('5\r\nhelloXX'), B('ffffffffffffffffff\r\n'), B('5;\u0001=\r\nhello\r\n0\r\n\r\n'),
          B('3\r\nab')][p.v];
        return play(s, [B(head('200 OK', ['Transfer-Encoding: chunked'])), B('5\r\nhello\r\n'), bad]);
      }
      case 'stall-head': return play(s, int(0, 1) ? [B('HTTP/1.1 200 OK\r\nContent-Le')] : [], 'stall');
      case 'stall-body':
        return play(s, [B(head('200 OK', [`Content-Length: ${body.length + 100}`])), body.subarray(0, body.length >> 1)], 'stall');
      case 'trickle': {
        const parts = [B(head('200 OK', [`Content-Length: ${body.length}`]))];
        for (let k = 0; k < body.length; k++) parts.push(int(0, 10), body.subarray(k, k + 1));
        return play(s, parts);
      }
      case 'reset-mid':
        return play(s, [B(head('200 OK', [`Content-Length: ${body.length + 1000}`])), body.subarray(0, body.length >> 1), 20], 'reset');
      case 'close-early':
        return play(s, [[B(''), B('HTTP/1.1 2'), B(head('200 OK', ['Content-Length: 10'])).subarray(0, 20)][int(0, 2)]]);
      case 'huge-header': return play(s, ok([`X-Huge: ${'h'.repeat(p.size)}`], body));
      case 'many-headers': {
        const hs = [];
        for (let k = int(100, 4000); k > 0; k--) hs.push(`X-H${k}: ${k}`);
        return play(s, ok(hs, body));
      }
      case 'bad-status': {
        const line = ['HTTP/1.1 99999 Huge\r\n', 'HTXP/1.1 200 OK\r\n', 'garbage\r\n', 'HTTP/1.1 2OO OK\r\n'][int(0, 3)];
        return play(s, [B(`${line}Content-Length: ${body.length}\r\n\r\n`), body]);
      }
      case 'redirect': {
        const to = `/ok?len=${body.length}&seed=${seed ^ i}`;
        return play(s, [B(head(`${[301, 302, 303, 307, 308][int(0, 4)]} Moved`, [`Location: ${to}`, 'Content-Length: 0']))]);
      }
      case 'redirect-loop':
        return play(s, [B(head('302 Found', [`Location: /fuzz?seed=${seed}&i=${i}`, 'Content-Length: 0']))]);
      case 'redirect-bad': {
        const loc = ['http://[bad', 'ftp://127.0.0.1/x', '//', 'http://127.0.0.1:0/', 'javascript:alert(1)'][int(0, 4)];
        return play(s, [B(head('302 Found', [`Location: ${loc}`, 'Content-Length: 0']))]);
      }
      case 'continue': return play(s, [B('HTTP/1.1 100 Continue\r\n\r\n'), 5, ...ok([], body)]);
      case 'header-garbage': {
        const h = ['X-A: a\u0000b', ' folded continuation', 'X-B: \u00ff\u00fe', 'NoColonHere', 'X-C:\u0007'][int(0, 4)];
        return play(s, ok([h], body));
      }
      default: throw new Error(`no such kind ${p.kind}`);
    }
  };

  const route = async (s, target) => {
    const u = new URL(target, 'http://x');
    const q = (k, d) => (u.searchParams.has(k) ? Number(u.searchParams.get(k)) : d);
    served++;
    switch (u.pathname) {
      case '/stats': {
        const j = JSON.stringify({ sockets: sockets.size - 1, served: served - 1, headers, headerMismatch });
        served--;
        return play(s, [Buffer.from(head('200 OK', ['Content-Type: application/json', `Content-Length: ${j.length}`]) + j)]);
      }
      case '/bomb': {
        const enc = u.searchParams.get('enc');
        const e = await bomb(enc, q('n', 1 << 20));
        return play(s, [Buffer.from(head('200 OK', [`Content-Encoding: ${enc}`, `Content-Length: ${e.length}`])), e]);
      }
      case '/lie':
        return play(s, [Buffer.from(head('200 OK', [`Content-Length: ${q('cl', 0)}`])), Buffer.alloc(q('send', 0), 108)]);
      case '/ok': {
        const body = bodyBytes(q('seed', 0), q('len', 0));
        const enc = u.searchParams.get('enc');
        const data = enc ? encode(enc, body) : body;
        const hs = enc ? [`Content-Encoding: ${enc}`] : [];
        if (u.searchParams.get('chunked')) {
          return play(s, [Buffer.from(head('200 OK', [...hs, 'Transfer-Encoding: chunked'])), ...chunked(data, () => 1000)]);
        }
        return play(s, [Buffer.from(head('200 OK', [...hs, `Content-Length: ${data.length}`])), data]);
      }
      case '/stall-encoded': {
        const enc = u.searchParams.get('enc');
        const e = encode(enc, bodyBytes(3, 200000));
        return play(s, [Buffer.from(head('200 OK', [`Content-Encoding: ${enc}`, `Content-Length: ${e.length}`])),
          e.subarray(0, e.length >> 1)], 'stall');
      }
      case '/fuzz': return fuzz(s, q('seed', 0), q('i', 0));
      default: return play(s, [Buffer.from(head('404 Not Found', ['Content-Length: 0']))]);
    }
  };

  const server = net.createServer((s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = '';
    const onData = (d) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      s.off('data', onData); // one request per connection: every response ends it
      const target = buf.split(' ')[1] || '/';
      checkHeader(buf.slice(0, end), target);
      route(s, target).catch(() => s.destroy());
    };
    s.on('data', onData);
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('disconnect', () => process.exit(0));
}

/** Starts the server in a child process. */
export async function startHostileServer() {
  const { message: { port }, child, close } = await forkServer(SELF, 'hostile server');
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    child,
    close,
    stats: async () => (await fetch(`${url}/stats`)).json(),
  };
}

if (process.argv[1] === SELF && process.argv.includes('--serve')) serve();
