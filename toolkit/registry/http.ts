/**
 * HTTP as a registry speaks it: Node's own fetch (undici, built in since
 * Node 18 — no dependency), with the registry's failures turned into one
 * line each. A registry answers an error with a JSON body of codes
 * (MANIFEST_UNKNOWN, NAME_UNKNOWN, BLOB_UNKNOWN, UNAUTHORIZED, DENIED …):
 * the message shows the code and the registry's own words.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes
 */
import { ImageError } from '../image/errors.ts';

/** A registry refused, failed, or could not be reached. One line; nothing of the pull is kept. */
export class RegistryError extends ImageError {}

/** fetch(), with "connection refused" and friends as one line naming the URL. */
export async function request(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
    const code = cause?.code ?? (error as NodeJS.ErrnoException).code;
    const why = code === 'ECONNREFUSED' ? 'connection refused (is the registry running? npm run registry)'
      : code === 'ENOTFOUND' ? 'no such host'
      : cause?.message ?? (error as Error).message;
    throw new RegistryError(`cannot reach ${new URL(url).origin}: ${why}${code && !why.includes(code) ? ` (${code})` : ''}`);
  }
}

/** Reads an error answer and makes it one line: "GET …/manifests/nope: 404 MANIFEST_UNKNOWN: manifest unknown". */
export async function responseError(res: Response, what: string): Promise<RegistryError> {
  let detail = res.statusText;
  try {
    const text = (await readBounded(res, 64 * 1024, 'error body')).toString('utf8');
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const errors = (body.errors ?? []).map((e) => `${e.code ?? '?'}: ${e.message ?? ''}`.trim());
    if (errors.length > 0) detail = errors.join('; ');
  } catch {
    // not the registry's JSON (a proxy's page, say): the status line is all there is
  }
  return new RegistryError(`${what}: ${res.status} ${detail}`);
}

/**
 * The body, refusing more than `max` bytes — before reading, when the
 * registry announces more, and while reading, when it sends more than it said.
 */
export async function readBounded(res: Response, max: number, what: string): Promise<Buffer> {
  const announced = Number(res.headers.get('content-length') ?? NaN);
  if (announced > max) {
    await res.body?.cancel();
    throw new RegistryError(`${what} is ${announced} bytes, more than the ${max} the workbook accepts: refused, nothing was written`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of (res.body ?? []) as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > max) throw new RegistryError(`${what} is more than the ${max} bytes the workbook accepts: refused, nothing was written`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** WWW-Authenticate: Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull" */
export interface Challenge {
  /** "bearer" or "basic", lower case. */
  scheme: string;
  params: Record<string, string>;
}

/** Parses one challenge (RFC 7235 auth-params, quoted or not). */
export function parseChallenge(header: string): Challenge {
  const match = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
  if (!match) throw new RegistryError(`the registry's WWW-Authenticate header is not a challenge: ${JSON.stringify(header)}`);
  const params: Record<string, string> = {};
  for (const p of match[2]!.matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  }
  return { scheme: match[1]!.toLowerCase(), params };
}
