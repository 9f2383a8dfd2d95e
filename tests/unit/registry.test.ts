/** Chapter 9's pure parts: references, challenges, the access log. No root, no registry. */
import { describe, expect, test } from 'vitest';
import { parseChallenge } from '../../toolkit/registry/http.ts';
import { formatReference, isRegistryReference, parseReference, registryBase } from '../../toolkit/registry/reference.ts';
import { parseAccessLog } from '../../toolkit/registry/server.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('image references', () => {
  test('host, repository, tag (latest by default) or digest', () => {
    expect(parseReference('127.0.0.1:5000/workbook/web:v1')).toEqual({ registry: '127.0.0.1:5000', repository: 'workbook/web', reference: 'v1', byDigest: false });
    expect(parseReference('localhost/web')).toMatchObject({ registry: 'localhost', repository: 'web', reference: 'latest' });
    expect(parseReference(`registry.example/a/b@${DIGEST}`)).toMatchObject({ reference: DIGEST, byDigest: true });
    expect(parseReference(`r.example/a:tag@${DIGEST}`)).toMatchObject({ reference: DIGEST, byDigest: true });
    expect(formatReference(parseReference('127.0.0.1:5000/workbook/web'))).toBe('127.0.0.1:5000/workbook/web:latest');
  });

  test('only a first component that looks like a host is a registry: layout paths and workbook names are not', () => {
    for (const yes of ['127.0.0.1:5000/a', 'localhost/a', 'registry.example/a/b:1']) expect(isRegistryReference(yes)).toBe(true);
    for (const no of ['demo', 'web', 'library/busybox', './layout', '/abs/layout:demo', 'build/oci:web', '../x/y']) expect(isRegistryReference(no)).toBe(false);
  });

  test('bad references are one clear line', () => {
    expect(() => parseReference('127.0.0.1:5000/Web')).toThrow(/lower-case/);
    expect(() => parseReference('127.0.0.1:5000/web@sha256:12')).toThrow(/64 lower-case hex/);
    expect(() => parseReference('127.0.0.1:5000/web:bad tag')).toThrow(/tag/);
    expect(() => parseReference('web')).toThrow(/registry host/);
  });

  test('http on loopback, https elsewhere', () => {
    expect(registryBase('127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(registryBase('localhost:5000')).toBe('http://localhost:5000');
    expect(registryBase('registry.example')).toBe('https://registry.example');
  });
});

describe('WWW-Authenticate challenges', () => {
  test('Bearer with quoted parameters, a comma inside a quoted value', () => {
    expect(parseChallenge('Bearer realm="http://127.0.0.1:1/token",service="reg",scope="repository:a/b:pull,push"')).toEqual({
      scheme: 'bearer', params: { realm: 'http://127.0.0.1:1/token', service: 'reg', scope: 'repository:a/b:pull,push' },
    });
  });
  test('Basic', () => {
    expect(parseChallenge('Basic realm="workbook"')).toEqual({ scheme: 'basic', params: { realm: 'workbook' } });
  });
});

test('the registry\'s access log, line by line', () => {
  const log = [
    'time="x" level=info msg="response completed"',
    `127.0.0.1 - - [01/Dec/2026:20:11:43 +0000] "GET /v2/a/blobs/${DIGEST} HTTP/1.1" 200 1397551 "" "node"`,
    '127.0.0.1 - - [01/Dec/2026:20:11:43 +0000] "HEAD /v2/a/manifests/latest HTTP/1.1" 404 - "" "curl"',
  ].join('\n');
  expect(parseAccessLog(log)).toEqual([
    { method: 'GET', path: `/v2/a/blobs/${DIGEST}`, status: 200, bytes: 1397551 },
    { method: 'HEAD', path: '/v2/a/manifests/latest', status: 404, bytes: 0 },
  ]);
});
