// page-proxy.mjs — what plain WebDriver (WebKitGTK's) lacks for the tests:
// the problems a page reports and a script that runs before the page's
// own. The browser sends every request through this HTTP proxy on
// 127.0.0.1 (the WebDriver "proxy" capability); it forwards each one
// unchanged and streams the answer back, except that
//  - an answer of 400 or more, or a request that cannot be forwarded, is
//    reported as a problem;
//  - an HTML page gets one <script> first in it: it reports console.error,
//    uncaught exceptions, unhandled rejections and resources that failed to
//    load (POSTed to /__wasync_problem on the page's own origin, which this
//    proxy answers itself), then runs the init function, if any.
import http from 'node:http';

const BEACON = '/__wasync_problem';

/** The script put first in every HTML page; init: a function or null. */
function probe(init) {
  const report = (s) => navigator.sendBeacon(BEACON_PATH, String(s));
  const error = console.error;
  console.error = function (...a) {
    report(`console.error: ${a.join(' ')}`);
    return error.apply(this, a);
  };
  addEventListener('error', (e) => report(e.target && e.target !== window
    ? `failed to load: ${e.target.src || e.target.href}` : `uncaught: ${e.message}`), true);
  addEventListener('unhandledrejection', (e) => report(`uncaught: ${(e.reason && e.reason.message) || e.reason}`));
  if (init) init();
}

/**
 * Starts the proxy; resolves with { port, page(problems, init), close() }.
 * page() says where the next pages' problems go and which init they run.
 */
export function startPageProxy() {
  let problems = [];
  let init = null;
  const server = http.createServer((req, res) => {
    let url;
    try { url = new URL(req.url); } catch (e) { res.writeHead(400).end(); return; }
    if (url.pathname === BEACON && req.method === 'POST') {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => { problems.push(body); res.writeHead(204).end(); });
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    const up = http.request(url, { method: req.method, headers }, (r) => {
      // The browser's own favicon request is not the page's.
      if (r.statusCode >= 400 && url.pathname !== '/favicon.ico') problems.push(`HTTP ${r.statusCode}: ${url.href}`);
      const head = { ...r.headers };
      if (!/^text\/html/.test(head['content-type'] || '')) {
        res.writeHead(r.statusCode, head);
        r.pipe(res);
        return;
      }
      const chunks = [];
      r.on('data', (d) => chunks.push(d));
      r.on('end', () => {
        const script = `<script>(${probe})(${init || null});</script>`.replace('BEACON_PATH', JSON.stringify(BEACON));
        // After the doctype, if any: before it the page would be in quirks mode.
        const html = Buffer.concat(chunks).toString('utf8');
        const at = (/^\s*<!doctype[^>]*>/i.exec(html) || [''])[0].length;
        const body = Buffer.from(html.slice(0, at) + script + html.slice(at));
        delete head['transfer-encoding'];
        head['content-length'] = body.length;
        res.writeHead(r.statusCode, head).end(body);
      });
    });
    // The page gave up on this request (a cancelled download): so do we,
    // and that is no problem (Chromium's ERR_ABORTED).
    let aborted = false;
    res.on('close', () => {
      if (!res.writableFinished) { aborted = true; up.destroy(); }
    });
    up.on('error', (e) => {
      if (aborted) return;
      problems.push(`request failed: ${url.href} ${e.message}`);
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      page: (list, fn) => { problems = list; init = fn || null; },
      close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
    }));
  });
}
