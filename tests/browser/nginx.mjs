// nginx.mjs — the real static server of the browser tests: Debian's nginx
// with its stock mime.types (and the stock default_type) serving a folder
// on 127.0.0.1, over HTTP/1.1, or over HTTPS with HTTP/2 (a self-signed
// certificate made on the spot); and a TCP proxy that adds latency in
// front of it (or of any server).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
// A port bound on 127.0.0.1 and released: free for nginx to listen on.
import { refusedPort as freePort } from '../js/servers.mjs';

export const NGINX = process.env.WASYNC_NGINX || '/usr/sbin/nginx';
const MIME_TYPES = '/etc/nginx/mime.types';

/** A self-signed certificate for 127.0.0.1 in tmp: { cert, key }. */
function selfSigned(tmp) {
  const cert = path.join(tmp, 'cert.pem');
  const key = path.join(tmp, 'key.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl could not make a certificate: ${r.stderr}${r.error || ''}`);
  return { cert, key };
}

/**
 * Starts nginx on 127.0.0.1 serving root with the stock mime.types; tmp
 * (an empty folder) holds its configuration, logs and temporary files.
 * tls: HTTPS with HTTP/2 instead of HTTP/1.1 (browsers speak HTTP/2 only
 * over TLS; clients must accept the self-signed certificate).
 * Resolves with { url, port, close() } once it answers.
 */
export async function startNginx(root, tmp, { tls = false } = {}) {
  const port = await freePort();
  const conf = path.join(tmp, 'nginx.conf');
  const t = (name) => path.join(tmp, name);
  const listen = tls ? `listen 127.0.0.1:${port} ssl http2;
    ssl_certificate ${selfSigned(tmp).cert};
    ssl_certificate_key ${t('key.pem')};` : `listen 127.0.0.1:${port};`;
  // Only what running unprivileged in a temp folder needs differs from
  // Debian's /etc/nginx/nginx.conf: the MIME setup is the stock one.
  fs.writeFileSync(conf, `worker_processes 1;
daemon off;
pid ${t('nginx.pid')};
error_log ${t('error.log')};
events { worker_connections 64; }
http {
  include ${MIME_TYPES};
  default_type application/octet-stream;
  access_log off;
  client_body_temp_path ${t('body')};
  proxy_temp_path ${t('proxy')};
  fastcgi_temp_path ${t('fastcgi')};
  uwsgi_temp_path ${t('uwsgi')};
  scgi_temp_path ${t('scgi')};
  server {
    ${listen}
    root ${root};
  }
}
`);
  const child = spawn(NGINX, ['-e', t('error.log'), '-p', tmp, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}/`;
  const deadline = Date.now() + 10000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${stderr}`);
    // Up once it accepts a connection (a TLS client would need the certificate).
    const up = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`nginx did not answer on ${url}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    close: () => new Promise((resolve) => {
      if (child.exitCode !== null) { resolve(); return; }
      child.on('exit', resolve);
      child.kill('SIGTERM');
    }),
  };
}

/**
 * A TCP proxy on 127.0.0.1 to 127.0.0.1:port that holds every chunk from
 * the client ms milliseconds before passing it on (in order; the answers
 * come back at once): each request, over any protocol (TLS and HTTP/2
 * included), reaches the server ms later, as over a slow network. Resolves
 * with { port, close() }.
 */
export function startDelayProxy(port, ms) {
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    // No Nagle: a small write must not wait for the ACK of the last one.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const queue = []; // [due, chunk], due in order
    let timer = null;
    const flush = () => {
      timer = null;
      const now = performance.now();
      while (queue.length && queue[0][0] <= now) upstream.write(queue.shift()[1]);
      if (queue.length) timer = setTimeout(flush, queue[0][0] - now);
    };
    client.on('data', (chunk) => {
      queue.push([performance.now() + ms, chunk]);
      if (!timer) timer = setTimeout(flush, ms);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const end = () => {
      clearTimeout(timer);
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('close', end);
      s.on('error', end);
    }
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      close: () => new Promise((done) => {
        for (const s of sockets) s.destroy();
        server.close(() => done());
      }),
    }));
  });
}
