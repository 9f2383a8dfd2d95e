/**
 * Chapter 9 — images from a registry. Reference solution. Lesson: chapters/09-registry/README.md
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { short, sha256 } from '../../toolkit/image/digest.ts';
import type { Descriptor, Index } from '../../toolkit/image/layout.ts';
import { tempPath } from '../../toolkit/image/store.ts';
import { RegistryError, parseChallenge, readBounded, request, responseError, type Challenge } from '../../toolkit/registry/http.ts';
import {
  CONFIG_TYPES, INDEX_TYPES, LAYER_TYPES, MANIFEST_TYPES, MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, formatPlatform, hostPlatform, type Platform,
} from '../../toolkit/registry/media-types.ts';
import { SILENT, createProgress, type Progress } from '../../toolkit/registry/progress.ts';
import { credentialsFromEnv, type Credentials } from '../../toolkit/registry/credentials.ts';
import { formatReference, isRegistryReference, parseReference, registryBase, type ImageReference } from '../../toolkit/registry/reference.ts';
import { blobInStore, installImage, isPulled, layerInStore, pulledBlob, removeBlobs, type PulledImage } from '../../toolkit/registry/store.ts';

/** Host side, first of all: `docker run` pulls an image it does not have. */
export async function pull(image: string): Promise<void> {
  if (!isRegistryReference(image) || isPulled(formatReference(parseReference(image)))) return;
  await pullImage(image, { credentials: credentialsFromEnv(), progress: createProgress() });
}

// The container itself has every wall of chapters 2–8 — the pulled image's layers under an overlay, in
// namespaces, a cgroup, a network and a user namespace, with chapter 8's init and exec — composed by
// toolkit/runtime/sequence.ts (npm run chapter 9 -- --explain); pull() runs first of all.

/** One conversation with one registry about one repository. */
export interface Session {
  ref: ImageReference;
  /** "http://127.0.0.1:5000": where /v2/ is. */
  base: string;
  /** The Authorization header value for this registry, if it asked for one. */
  authorization?: string;
  progress: Progress;
}

/** GET /v2/: is this a registry, and does it want us to authenticate? */
export async function openSession(ref: ImageReference, credentials?: Credentials, progress: Progress = SILENT): Promise<Session> {
  const base = registryBase(ref.registry);
  const res = await request(`${base}/v2/`);
  await res.body?.cancel();
  if (res.ok) return { ref, base, progress };
  if (res.status === 401) {
    const challenge = parseChallenge(res.headers.get('www-authenticate') ?? '');
    return { ref, base, progress, authorization: await authorize(challenge, ref, credentials) };
  }
  throw await responseError(res, `GET ${base}/v2/ (is this a registry?)`);
}

/** Answers a 401's challenge: a Basic header from the credentials, or a Bearer token from the realm the registry names. */
export async function authorize(challenge: Challenge, ref: ImageReference, credentials?: Credentials): Promise<string> {
  const basic = credentials ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}` : undefined;
  if (challenge.scheme === 'basic') {
    if (!basic) throw new RegistryError(`${ref.registry} wants a user name and password (Basic realm "${challenge.params.realm ?? ''}"): give --creds USER:PASSWORD`);
    return basic;
  }
  if (challenge.scheme !== 'bearer' || !challenge.params.realm) {
    throw new RegistryError(`${ref.registry} asks for ${challenge.scheme} authentication, which the workbook does not speak (Bearer with a realm, or Basic)`);
  }
  // Docker's token protocol: GET realm?service=…&scope=repository:NAME:pull, answered with {"token": …}.
  const url = new URL(challenge.params.realm);
  if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
  url.searchParams.set('scope', `repository:${ref.repository}:pull`);
  const res = await request(url.href, { headers: basic ? { Authorization: basic } : {} });
  if (!res.ok) throw await responseError(res, `token from ${url.origin}${url.pathname} for ${ref.repository}`);
  const body = JSON.parse((await readBounded(res, 1024 * 1024, 'token answer')).toString('utf8')) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (!token) throw new RegistryError(`the token server ${url.origin} answered without a token`);
  return `Bearer ${token}`;
}

/**
 * GET from the registry, following redirects by hand: a registry may send a
 * blob download elsewhere (a storage bucket, a CDN), and our credentials are
 * for the registry alone — never for the host it redirects to.
 */
export async function registryFetch(session: Session, url: string, accept?: string): Promise<Response> {
  const registry = new URL(session.base).origin;
  let current = url;
  for (let hop = 0; hop <= 5; hop++) {
    const headers: Record<string, string> = {};
    if (accept) headers.Accept = accept;
    if (session.authorization && new URL(current).origin === registry) headers.Authorization = session.authorization;
    const res = await request(current, { headers, redirect: 'manual' });
    if (![301, 302, 303, 307, 308].includes(res.status)) return res;
    await res.body?.cancel();
    const location = res.headers.get('location');
    if (!location) throw new RegistryError(`GET ${current}: ${res.status} redirect without a Location`);
    current = new URL(location, current).href;
  }
  throw new RegistryError(`GET ${url}: more than 5 redirects`);
}

export interface FetchedManifest {
  mediaType: string;
  bytes: Buffer;
  /** sha256 of the bytes as received: the manifest's true name. */
  digest: string;
}

/** GET /v2/NAME/manifests/REFERENCE: an image index or an image manifest, bounded in size and checked against a digest reference. */
export async function fetchManifest(session: Session, reference: string): Promise<FetchedManifest> {
  const { ref, base } = session;
  const shown = `${ref.registry}/${ref.repository}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`;
  const res = await registryFetch(session, `${base}/v2/${ref.repository}/manifests/${reference}`, [...INDEX_TYPES, ...MANIFEST_TYPES].join(', '));
  if (!res.ok) throw await responseError(res, `manifest ${shown}`);
  const bytes = await readBounded(res, MAX_MANIFEST_BYTES, `manifest ${shown}`);
  const digest = sha256(bytes);
  if (reference.startsWith('sha256:') && digest !== reference) {
    throw new RegistryError(`manifest ${shown} is not what was asked for (digest mismatch): its bytes hash to ${short(digest)}…; nothing was written`);
  }
  let mediaType: string | undefined;
  try {
    mediaType = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType;
  } catch {
    throw new RegistryError(`manifest ${shown} is not JSON`);
  }
  mediaType ??= res.headers.get('content-type')?.split(';')[0]?.trim();
  if (!mediaType || ![...INDEX_TYPES, ...MANIFEST_TYPES].includes(mediaType)) {
    throw new RegistryError(`manifest ${shown} has media type ${mediaType ?? '(none)'}: the workbook pulls OCI and Docker v2 images and indexes only`);
  }
  return { mediaType, bytes, digest };
}

/** The index entry for this machine: same os and architecture, and the same variant when both say one. */
export function choosePlatform(index: Index, platform: Platform, shown: string): Descriptor {
  const entries = (index.manifests ?? []) as (Descriptor & { platform?: Partial<Platform> })[];
  const match = entries.find((m) => MANIFEST_TYPES.includes(m.mediaType) && m.platform?.os === platform.os
    && m.platform.architecture === platform.architecture
    && (!platform.variant || !m.platform.variant || m.platform.variant === platform.variant));
  if (!match) {
    const has = entries.map((m) => formatPlatform(m.platform)).join(', ') || 'none';
    throw new RegistryError(`${shown} has no image for ${formatPlatform(platform)} (this machine): it has ${has}`);
  }
  return match;
}

/**
 * GET /v2/NAME/blobs/DIGEST into the store, hashing while it streams: the
 * bytes get the digest's name only if they hash to it and are as many as the
 * descriptor says. Until then they are a temporary file, removed on failure.
 */
export async function downloadBlob(session: Session, d: Descriptor, what: string): Promise<void> {
  const file = pulledBlob(d.digest);
  const tmp = tempPath(`blob-${d.digest.slice(7, 19)}`);
  const res = await registryFetch(session, `${session.base}/v2/${session.ref.repository}/blobs/${d.digest}`);
  if (!res.ok) throw await responseError(res, `${what} ${short(d.digest)}…`);
  const hash = crypto.createHash('sha256');
  const out = await fs.promises.open(tmp, 'wx', 0o644);
  session.progress.start(d.digest, what, d.size);
  let size = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      if (size > d.size) throw new RegistryError(`${what} ${short(d.digest)}… is longer than the ${d.size} bytes its descriptor says: refused`);
      hash.update(chunk);
      await out.write(chunk);
      session.progress.advance(d.digest, chunk.length);
    }
    if (size !== d.size) throw new RegistryError(`${what} ${short(d.digest)}… ended after ${size} of ${d.size} bytes`);
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== d.digest) throw new RegistryError(`${what} ${short(d.digest)}… is corrupt (digest mismatch): the registry's bytes hash to ${short(actual)}…; nothing was written`);
    await out.sync();
    await out.close();
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    fs.renameSync(tmp, file);
    session.progress.finish(d.digest);
  } catch (error) {
    session.progress.fail(d.digest);
    await out.close().catch(() => {});
    throw error;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

export interface PullOptions {
  credentials?: Credentials;
  progress?: Progress;
}

/** `docker pull`: the manifest (via the index, for this platform), then config and layers the store lacks, then the image is named. */
export async function pullImage(text: string, options: PullOptions = {}): Promise<PulledImage> {
  const ref = parseReference(text);
  const session = await openSession(ref, options.credentials, options.progress ?? SILENT);
  let fetched = await fetchManifest(session, ref.reference);
  if (INDEX_TYPES.includes(fetched.mediaType)) {
    const entry = choosePlatform(JSON.parse(fetched.bytes.toString('utf8')) as Index, hostPlatform(), text);
    fetched = await fetchManifest(session, entry.digest);
    if (!MANIFEST_TYPES.includes(fetched.mediaType)) throw new RegistryError(`${text}: the index entry for this machine is another index (${fetched.mediaType})`);
  }
  const manifest = JSON.parse(fetched.bytes.toString('utf8')) as { config?: Descriptor; layers?: Descriptor[] };
  if (!manifest.config || !Array.isArray(manifest.layers) || manifest.layers.length === 0) throw new RegistryError(`manifest ${short(fetched.digest)}… of ${text} has no config or no layers`);
  if (!CONFIG_TYPES.includes(manifest.config.mediaType)) throw new RegistryError(`${text}: config media type ${manifest.config.mediaType} is not an image config`);
  if (manifest.config.size > MAX_CONFIG_BYTES) throw new RegistryError(`${text}: config of ${manifest.config.size} bytes is more than the ${MAX_CONFIG_BYTES} the workbook accepts: refused, nothing was written`);
  for (const layer of manifest.layers) {
    if (!LAYER_TYPES.includes(layer.mediaType)) throw new RegistryError(`${text}: layer ${short(layer.digest)}… has media type ${layer.mediaType}, which the workbook cannot unpack`);
  }

  const downloaded: string[] = [];
  try {
    const config = manifest.config;
    if (blobInStore(config)) session.progress.skip(config.digest, 'config', config.size);
    else {
      await downloadBlob(session, config, 'config');
      downloaded.push(config.digest);
    }
    for (const layer of manifest.layers) {
      if (layerInStore(layer)) {
        session.progress.skip(layer.digest, 'layer', layer.size);
        continue;
      }
      await downloadBlob(session, layer, 'layer');
      downloaded.push(layer.digest);
    }
    const names = [formatReference(ref), `${ref.registry}/${ref.repository}@${fetched.digest}`];
    return installImage([...new Set(names)], fetched.bytes, fetched.mediaType);
  } catch (error) {
    removeBlobs(downloaded); // a refused image leaves nothing of its own behind
    throw error;
  }
}
