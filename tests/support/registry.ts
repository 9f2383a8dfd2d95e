/**
 * Chapter 9's test servers, around the real docker-registry processes: a
 * front that passes requests on (and records what it saw), and can also
 * answer some itself, send blobs elsewhere by redirect, corrupt a byte, or
 * dribble bytes slowly — the things a registry or a network in between may
 * do that a real registry never does on purpose.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  method: string;
  path: string;
  authorization?: string;
  accept?: string;
  status?: number;
  /** Body bytes sent to the client. */
  bytes: number;
}

export interface FrontOptions {
  /** Upstream registry host:port. */
  upstream: string;
  /** Address to listen on; default 127.0.0.1 (127.0.0.2 is "another host" on loopback). */
  listen?: string;
  /** The front's own answer to a request, or undefined to pass it on. */
  answer?(path: string): { status: number; headers?: Record<string, string>; body: Buffer } | undefined;
  /** Path rewriting before passing on: /v2/tamper/web/… → /v2/workbook/web/…. */
  mapPath?(path: string): string;
  /** Blob GETs get a 307 to this origin + the same path, as a registry on S3 would answer. */
  redirectBlobsTo?: string;
  /** Flip one byte in the middle of bodies of these paths (same length: only the digest can tell). */
  corrupt?(path: string): boolean;
  /** Slow the bodies of these paths down to about this many bytes per second. */
  throttle?: { match(path: string): boolean; bytesPerSecond: number };
}

export interface Front {
  host: string;
  seen: Seen[];
  stop(): Promise<void>;
}

export async function startFront(options: FrontOptions): Promise<Front> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const entry: Seen = { method: req.method ?? 'GET', path: req.url ?? '/', bytes: 0,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      ...(req.headers.accept ? { accept: req.headers.accept } : {}) };
    seen.push(entry);
    const send = (status: number, headers: http.OutgoingHttpHeaders, body: Buffer) => {
      entry.status = status;
      entry.bytes = body.length;
      res.writeHead(status, { ...headers, 'content-length': body.length });
      res.end(body);
    };
    const own = options.answer?.(entry.path);
    if (own) return send(own.status, own.headers ?? { 'content-type': 'application/json' }, own.body);
    if (options.redirectBlobsTo && /\/blobs\/sha256:/.test(entry.path)) {
      return send(307, { location: `${options.redirectBlobsTo}${entry.path}?signature=test` }, Buffer.alloc(0));
    }
    const target = options.mapPath?.(entry.path) ?? entry.path;
    const headers = { ...req.headers, host: options.upstream };
    const [host, port] = options.upstream.split(':');
    const up = http.request({ host, port: Number(port), method: req.method, path: target, headers }, (upRes) => {
      entry.status = upRes.statusCode;
      const outHeaders = { ...upRes.headers };
      // A redirect or challenge from upstream must name this front, where the client is.
      const chunks: Buffer[] = [];
      upRes.on('data', (c: Buffer) => chunks.push(c));
      upRes.on('end', () => {
        let body = Buffer.concat(chunks);
        if (options.corrupt?.(entry.path) && body.length > 0 && (upRes.statusCode ?? 500) < 300) {
          body = Buffer.from(body);
          body[Math.floor(body.length / 2)]! ^= 0xff;
        }
        delete outHeaders['transfer-encoding'];
        outHeaders['content-length'] = String(body.length);
        res.writeHead(upRes.statusCode ?? 502, outHeaders);
        if (options.throttle?.match(entry.path)) return dribble(res, body, options.throttle.bytesPerSecond, entry);
        entry.bytes = body.length;
        res.end(body);
      });
    });
    up.on('error', () => send(502, {}, Buffer.from('upstream down')));
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, options.listen ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `${options.listen ?? '127.0.0.1'}:${port}`,
    seen,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function dribble(res: http.ServerResponse, body: Buffer, perSecond: number, entry: Seen): void {
  const chunk = Math.max(1024, Math.floor(perSecond / 20));
  let offset = 0;
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    const part = body.subarray(offset, offset + chunk);
    offset += part.length;
    entry.bytes += part.length;
    res.write(part);
    if (offset >= body.length) {
      clearInterval(timer);
      res.end();
    }
  }, 50);
  res.on('close', () => clearInterval(timer));
}

/** A tar archive written entry by entry (ustar), for layers no real tool would make: "../x", a symlink written through. */
export function ustar(entries: { name: string; type: '0' | '2' | '5'; body?: string; link?: string }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const h = Buffer.alloc(512);
    h.write(e.name, 0, 100);
    h.write(e.type === '5' ? '0000755\0' : '0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write(e.type, 156);
    if (e.link) h.write(e.link, 157, 100);
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
