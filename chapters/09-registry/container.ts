/**
 * Chapter 9 — images from a registry.  Lesson: chapters/09-registry/README.md
 *
 * `docker pull`, by hand: talk the OCI distribution protocol to a real
 * registry, never trust what it sends, and put the image into chapter 4's
 * layer store — then run it.
 *
 *   npm run registry                                         (another terminal: a registry on 127.0.0.1:5000)
 *   npm run pull -- 127.0.0.1:5000/workbook/web:latest
 *   npm run chapter 9 -- --image 127.0.0.1:5000/workbook/multi:latest -- cat /etc/platform
 *   npm test -- 9
 *
 * The protocol:  https://github.com/opencontainers/distribution-spec/blob/main/spec.md
 * The formats:   https://github.com/opencontainers/image-spec (manifest.md, image-index.md, descriptor.md)
 * Token auth:    https://distribution.github.io/distribution/spec/auth/token/
 *
 * Given (toolkit/registry): request() — fetch() with one-line errors;
 * responseError() — a registry's error answer as one line; readBounded() —
 * a body of at most N bytes; parseChallenge() — a WWW-Authenticate header;
 * the media types and bounds; the store (pulledBlob, layerInStore,
 * blobInStore, installImage, removeBlobs). Running the pulled image is
 * the stack's — every wall of chapters 2–8 — from the reference solutions.
 */
import type { Descriptor, Index } from '../../toolkit/image/layout.ts';
import type { Challenge } from '../../toolkit/registry/http.ts';
import type { Platform } from '../../toolkit/registry/media-types.ts';
import { SILENT, createProgress, type Progress } from '../../toolkit/registry/progress.ts';
import { credentialsFromEnv, type Credentials } from '../../toolkit/registry/credentials.ts';
import { formatReference, isRegistryReference, parseReference, type ImageReference } from '../../toolkit/registry/reference.ts';
import { isPulled, type PulledImage } from '../../toolkit/registry/store.ts';
import { todo } from '../../toolkit/runtime/container.ts';
// You will want some of these (and node:crypto, node:fs, node:path):
// import { short, sha256 } from '../../toolkit/image/digest.ts';
// import { tempPath } from '../../toolkit/image/store.ts';
// import { RegistryError, parseChallenge, readBounded, request, responseError } from '../../toolkit/registry/http.ts';
// import { CONFIG_TYPES, INDEX_TYPES, LAYER_TYPES, MANIFEST_TYPES, MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, formatPlatform, hostPlatform } from '../../toolkit/registry/media-types.ts';
// import { registryBase } from '../../toolkit/registry/reference.ts';
// import { blobInStore, installImage, layerInStore, pulledBlob, removeBlobs } from '../../toolkit/registry/store.ts';

/** Given: host side, first of all — `docker run` pulls an image it does not have. */
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
  /** "http://127.0.0.1:5000": where /v2/ is (registryBase(ref.registry)). */
  base: string;
  /** The Authorization header value for this registry, if it asked for one. */
  authorization?: string;
  progress: Progress;
}

/** GET /v2/: is this a registry, and does it want us to authenticate? */
export async function openSession(ref: ImageReference, credentials?: Credentials, progress: Progress = SILENT): Promise<Session> {
  // TODO(9.1): the API version check (distribution-spec "Determining support", end-1):
  //            GET <base>/v2/ with request(). 200: a session without authorization.
  //            401: the registry wants credentials — parse its WWW-Authenticate
  //            header and get the Authorization value from authorize() (9.2).
  //            Anything else: throw responseError(). Then delete the line below.
  void ref, credentials, progress;
  return todo('9.1 GET /v2/ and answer a 401');
}

/** Answers a 401's challenge: a Basic header from the credentials, or a Bearer token from the realm the registry names. */
export async function authorize(challenge: Challenge, ref: ImageReference, credentials?: Credentials): Promise<string> {
  // TODO(9.2): two schemes (RFC 7617 Basic; Docker's token protocol for Bearer,
  //            distribution.github.io/distribution/spec/auth/token/):
  //            Basic   → "Basic " + base64("user:password"); without credentials, a
  //                      one-line RegistryError that says to give --creds.
  //            Bearer  → GET the challenge's realm with ?service=<service>&scope=
  //                      repository:<name>:pull, sending the Basic header when there
  //                      are credentials; the JSON answer has "token" (or "access_token"):
  //                      return "Bearer " + it. A refusal: responseError().
  //            Another scheme: a one-line RegistryError. Then delete the line below.
  void challenge, ref, credentials;
  return todo('9.2 answer Basic and Bearer challenges');
}

/**
 * GET from the registry, following redirects by hand: a registry may send a
 * blob download elsewhere (a storage bucket, a CDN).
 */
export async function registryFetch(session: Session, url: string, accept?: string): Promise<Response> {
  // TODO(9.3): request() with redirect: 'manual', the Accept header if given, and
  //            session.authorization — but only while the URL's origin is the
  //            registry's own: credentials must never reach the host a 3xx sends
  //            you to (distribution-spec "Pulling blobs": a registry MAY redirect).
  //            On 301/302/303/307/308 follow Location (relative to the current URL),
  //            at most a few times; return the first other answer. Then delete the line below.
  void session, url, accept;
  return todo('9.3 follow redirects, Authorization for the registry only');
}

export interface FetchedManifest {
  mediaType: string;
  bytes: Buffer;
  /** sha256 of the bytes as received: the manifest's true name. */
  digest: string;
}

/** GET /v2/NAME/manifests/REFERENCE: an image index or an image manifest. */
export async function fetchManifest(session: Session, reference: string): Promise<FetchedManifest> {
  // TODO(9.4): distribution-spec "Pulling manifests" (end-3): GET
  //            <base>/v2/<name>/manifests/<tag or digest> through registryFetch, with an
  //            Accept that names all four types (INDEX_TYPES and MANIFEST_TYPES: OCI index
  //            and manifest, Docker's list and v2 manifest). Not 2xx: throw responseError().
  //            Read at most MAX_MANIFEST_BYTES (readBounded). Its digest is the sha256 of
  //            the bytes you got; asked by digest, they must match (image-spec descriptor.md,
  //            "Digests"). Its media type (the JSON's mediaType, else Content-Type) must be
  //            one of the four. Then delete the line below.
  void session, reference;
  return todo('9.4 fetch a manifest: Accept, size bound, digest, media type');
}

/** The index entry for this machine: same os and architecture, and the same variant when both say one. */
export function choosePlatform(index: Index, platform: Platform, shown: string): Descriptor {
  // TODO(9.5): image-spec image-index.md, "platform": each entry of index.manifests
  //            has platform {os, architecture, variant?}. Return the image manifest
  //            entry (MANIFEST_TYPES) matching `platform` (hostPlatform() when pulling).
  //            None: a one-line RegistryError naming this platform and every platform
  //            the index has (formatPlatform). Then delete the line below.
  void index, platform, shown;
  return todo('9.5 choose this machine\'s platform from an index');
}

/**
 * GET /v2/NAME/blobs/DIGEST into the store, verified while it streams: the
 * bytes get the digest's name only if they hash to it.
 */
export async function downloadBlob(session: Session, d: Descriptor, what: string): Promise<void> {
  // TODO(9.6): distribution-spec "Pulling blobs" (end-2): GET <base>/v2/<name>/blobs/<digest>
  //            through registryFetch. Stream the body into a temporary file (tempPath(): same
  //            filesystem as the store), hashing each chunk with sha256 as it passes and
  //            counting bytes — more than d.size is refused at once. At the end the size and
  //            the digest must both match d; only then rename(2) the file to pulledBlob(d.digest)
  //            (atomic: a killed pull leaves no half blob under a blob's name). On any failure
  //            remove the temporary file. Report bytes with session.progress (start, advance,
  //            finish, fail). Then delete the line below.
  void session, d, what;
  return todo('9.6 download a blob, verified while it streams, renamed into place');
}

export interface PullOptions {
  credentials?: Credentials;
  progress?: Progress;
}

/** `docker pull`: the manifest (via the index, for this platform), then what the store lacks, then the image is named. */
export async function pullImage(text: string, options: PullOptions = {}): Promise<PulledImage> {
  // TODO(9.7): put the steps together. parseReference(text); openSession; fetchManifest by
  //            the reference's tag or digest. An index (INDEX_TYPES): choosePlatform(…,
  //            hostPlatform(), …) and fetchManifest that entry's digest. Check the manifest
  //            before downloading anything: a config descriptor of CONFIG_TYPES at most
  //            MAX_CONFIG_BYTES, layers of LAYER_TYPES. Download the config unless
  //            blobInStore, each layer unless layerInStore (content-addressed: a shared
  //            layer is fetched once; say progress.skip). Then installImage(names, bytes,
  //            mediaType) with names [formatReference(ref), "<registry>/<name>@<manifest digest>"]:
  //            it unpacks with chapter 4's confinement and only then names the image.
  //            If anything throws, removeBlobs() what this pull downloaded, and rethrow.
  //            Then delete the line below.
  void text, options;
  return todo('9.7 pull: manifest, platform, blobs the store lacks, install');
}
