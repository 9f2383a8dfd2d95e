/**
 * A token server for the registry's own token authentication — what
 * auth.docker.io is to Docker Hub, in a hundred lines. The registry answers
 * an anonymous request with
 *
 *   401  WWW-Authenticate: Bearer realm="http://127.0.0.1:P/token",service="workbook-registry",scope="repository:workbook/web:pull"
 *
 * the client asks the realm (with its user name and password, if it has any)
 *
 *   GET /token?service=workbook-registry&scope=repository:workbook/web:pull
 *
 * and gets a JSON Web Token, signed with a key whose certificate the
 * registry trusts (its rootcertbundle), naming what it may do:
 * "access": [{"type": "repository", "name": "workbook/web", "actions": ["pull"]}].
 * The registry checks the signature, issuer, audience, expiry and access.
 * https://distribution.github.io/distribution/spec/auth/token/
 * https://distribution.github.io/distribution/spec/auth/jwt/
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

export interface TokenServer {
  /** The realm to give the registry: "http://127.0.0.1:P/token". */
  realm: string;
  service: string;
  issuer: string;
  /** The certificate the registry must trust (PEM). */
  certFile: string;
  /** Every token request, as received: the tests look at who asked for what. */
  requests: { scope: string | null; user: string | null }[];
  stop(): Promise<void>;
}

export interface TokenServerOptions {
  /** user → password; a request without (valid) credentials gets no token when `anonymous` is false. */
  users: Record<string, string>;
  anonymous?: boolean;
}

export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `workbook-tokens-${process.pid}-`));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  // A self-signed certificate: the registry trusts it as a root, and finds it in each token's x5c header.
  // A P-256 key (ES256): made in ~10 ms, where an RSA-2048 key's prime search took 0.2-1.5 s of CPU per run.
  // node:crypto makes keys but no X.509 certificates, so openssl(1) signs it.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=workbook token server'], { stdio: 'ignore' });
  const key = crypto.createPrivateKey(fs.readFileSync(keyFile));
  const certDer = new crypto.X509Certificate(fs.readFileSync(certFile)).raw.toString('base64');
  const service = 'workbook-registry';
  const issuer = 'workbook-token-server';
  const requests: TokenServer['requests'] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    const user = basicUser(req.headers.authorization, options.users);
    requests.push({ scope: url.searchParams.get('scope'), user });
    if (url.pathname !== '/token' || url.searchParams.get('service') !== service) return answer(res, 400, { errors: [{ code: 'BAD_REQUEST', message: 'expected /token?service=workbook-registry' }] });
    if (user === null && !options.anonymous) return answer(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'user name or password wrong' }] });
    const access = (url.searchParams.getAll('scope')).flatMap((scope) => {
      const m = /^repository:([^:]+):(.+)$/.exec(scope);
      return m ? [{ type: 'repository', name: m[1]!, actions: m[2]!.split(',').filter((a) => a === 'pull') }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const token = jwt({ iss: issuer, sub: user ?? '', aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: crypto.randomUUID(), access }, key, certDer);
    answer(res, 200, { token, access_token: token, expires_in: 300, issued_at: new Date(now * 1000).toISOString() });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`, service, issuer, certFile, requests,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function jwt(claims: object, key: crypto.KeyObject, certDer: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const signed = `${part({ typ: 'JWT', alg: 'ES256', x5c: [certDer] })}.${part(claims)}`;
  // JWS wants ECDSA's r and s side by side, 32 bytes each, not DER (RFC 7518 section 3.4).
  return `${signed}.${crypto.sign('sha256', Buffer.from(signed), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

function basicUser(header: string | undefined, users: Record<string, string>): string | null {
  const m = /^Basic (.+)$/.exec(header ?? '');
  if (!m) return null;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  const [user, password] = [text.slice(0, colon), text.slice(colon + 1)];
  return colon > 0 && users[user] === password ? user : null;
}

function answer(res: http.ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
