/**
 * The slides server: the built site as static files, and the live demos.
 *
 *   GET  /api/status       { root, running, demos }: what this server can run
 *   POST /api/demos/ID     runs demo ID; the answer streams as it happens, one
 *                          JSON event per line (see DemoEvent), ending with
 *                          { type: "end", status }
 *
 * Rules: only demos from the table (the browser sends an id, never a
 * command); one at a time (a second POST gets 409 while one runs); requests
 * from another site are refused (guard.ts); if the page goes away mid-run,
 * the demo is stopped and its container cleaned up by the runner.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { commandLine, type Demo } from './demos.ts';
import { DemoRun, type DemoEvent } from './demo-run.ts';
import { refuseForeign } from './guard.ts';

export interface SlidesServerOptions {
  siteDir: string;
  demos: readonly Demo[];
  /** The demos make namespaces, mounts and cgroups: root only. */
  isRoot: boolean;
  log?: (line: string) => void;
}

export interface SlidesServer {
  readonly http: http.Server;
  /** The demo running now, if any. */
  current(): DemoRun | undefined;
  /** Stops a running demo and waits until its runner has exited. */
  stopDemo(reason: string): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

// No framing (a foreign page could overlay the Run button), nothing from elsewhere.
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
};

export function createSlidesServer(options: SlidesServerOptions): SlidesServer {
  const log = options.log ?? (() => {});
  let running: DemoRun | undefined;

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };

  const status = () => ({
    root: options.isRoot,
    running: running?.demo.id ?? null,
    demos: options.demos.map((d) => ({ id: d.id, chapter: d.chapter, command: commandLine(d), watchFor: d.watchFor })),
  });

  const runDemo = (id: string, res: http.ServerResponse) => {
    const demo = options.demos.find((d) => d.id === id);
    if (!demo) return json(res, 404, { error: `no live demo "${id}" (this server has: ${options.demos.map((d) => d.id).join(', ') || 'none'})` });
    if (!options.isRoot) return json(res, 403, { error: 'live demos need root: start the server with sudo npm run slides (in the VM, npm already runs as root)' });
    if (running) return json(res, 409, { error: `another demo is running (${running.demo.id}): one at a time, try again when it ends` });

    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
    const send = (event: DemoEvent) => {
      if (!res.destroyed) res.write(`${JSON.stringify(event)}\n`);
    };
    const run = new DemoRun(demo, send);
    running = run;
    log(`demo ${demo.id}: started (runner ${run.runner.pid})`);
    // The page was closed or reloaded mid-run: stop the container.
    res.once('close', () => {
      if (!res.writableFinished) run.stop('the page was closed');
    });
    void run.ended.then((end) => {
      running = undefined;
      log(`demo ${demo.id}: ${end.why}, status ${end.status} after ${end.seconds.toFixed(1)} s`);
      res.end();
    });
  };

  const server = http.createServer((req, res) => {
    req.resume(); // no request has a body worth reading
    const url = new URL(req.url ?? '/', 'http://slides.invalid');
    const refusal = refuseForeign(req);
    if (refusal) {
      log(`refused ${req.method} ${url.pathname}: ${refusal}`);
      return json(res, 403, { error: `refused: ${refusal}` });
    }
    if (url.pathname === '/api/status' && req.method === 'GET') return json(res, 200, status());
    const demo = /^\/api\/demos\/([\w-]+)$/.exec(url.pathname);
    if (demo && req.method === 'POST') return runDemo(demo[1]!, res);
    if (url.pathname.startsWith('/api/')) return json(res, 405, { error: `${req.method} ${url.pathname} is not an API of this server` });
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: `${req.method} is not served here` });
    serveFile(options.siteDir, url.pathname, req.method === 'HEAD', res);
  });

  return {
    http: server,
    current: () => running,
    async stopDemo(reason) {
      const run = running;
      if (!run) return;
      run.stop(reason);
      await run.ended;
    },
  };
}

/** A file of the site; "/" and folders mean their index.html. Nothing outside siteDir. */
function serveFile(siteDir: string, urlPath: string, headOnly: boolean, res: http.ServerResponse): void {
  let file: string;
  try {
    file = path.join(siteDir, path.normalize(decodeURIComponent(urlPath)));
  } catch {
    file = '';
  }
  if (file !== '' && fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
  const inside = file.startsWith(siteDir + path.sep);
  if (!inside || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
    res.end(`not found: ${urlPath}\n`);
    return;
  }
  const body = fs.readFileSync(file);
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': body.length });
  res.end(headOnly ? undefined : body);
}
