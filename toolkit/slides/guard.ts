/**
 * Who may talk to the slides server. It runs containers as root, so two
 * browser attacks matter, and loopback binding alone stops neither:
 *
 * - Cross-site requests: any page the presenter has open may POST to
 *   http://127.0.0.1:8000/… (a form or fetch in no-cors mode is sent even
 *   though its answer cannot be read). The browser names the page's origin in
 *   the Origin header, so a request that changes something must carry
 *   Origin = this site.
 * - DNS rebinding: evil.example is made to resolve to 127.0.0.1, and its
 *   pages become "same origin" with the server. The Host header still says
 *   evil.example, so only loopback host names are accepted.
 *
 * The port in Host is not compared: in the VM, Vagrant forwards the host's
 * 127.0.0.1:8000 (or WORKBOOK_SLIDES_PORT) to the guest's 8000, so the
 * browser's port and the server's may differ.
 */
import type { IncomingMessage } from 'node:http';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** null when the request may go on; otherwise why not, in one line. */
export function refuseForeign(req: IncomingMessage): string | null {
  const host = req.headers.host;
  if (host === undefined || !LOOPBACK_NAMES.has(hostName(host))) {
    return `Host ${JSON.stringify(host ?? '')} is not a loopback name (localhost, 127.0.0.1, [::1])`;
  }
  const origin = req.headers.origin;
  const changes = req.method !== 'GET' && req.method !== 'HEAD';
  if (origin === undefined) return changes ? 'a request that runs something must carry an Origin header' : null;
  if (origin !== `http://${host}`) return `Origin ${origin} is not this site (http://${host})`;
  return null;
}

/** "127.0.0.1:8000" → "127.0.0.1"; "[::1]:8000" → "[::1]". */
function hostName(host: string): string {
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  return name.toLowerCase();
}
