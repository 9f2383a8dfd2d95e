/**
 * An image reference names a registry, a repository in it, and a tag or a
 * digest — what `docker pull` takes:
 *
 *   127.0.0.1:5000/workbook/web:latest
 *   └── registry ─┘└─ repository ┘└tag┘
 *   127.0.0.1:5000/workbook/web@sha256:38dd9e…   (a digest: exactly that content, whatever the tags say)
 *
 * The first component is a registry only if it looks like a host (a dot, a
 * port or "localhost"): docker's rule, so `library/busybox` stays a name.
 * The workbook has no default registry: a reference always says where.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
 */
import { ImageError } from '../image/errors.ts';

export interface ImageReference {
  /** host[:port], as the URL's authority: "127.0.0.1:5000". */
  registry: string;
  /** Path components, lower case: "workbook/web" (the distribution-spec's <name>). */
  repository: string;
  /** The tag or the digest: what goes after /manifests/. */
  reference: string;
  /** True when `reference` is a digest ("sha256:…"), so the manifest's bytes must hash to it. */
  byDigest: boolean;
}

// distribution-spec: <name> is [a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*, a tag [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST = /^(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/;

/** Whether `text` names an image in a registry (not a workbook image or a layout directory). */
export function isRegistryReference(text: string): boolean {
  const slash = text.indexOf('/');
  if (slash <= 0) return false;
  const first = text.slice(0, slash);
  return HOST.test(first) && (first.includes('.') || first.includes(':') || first === 'localhost') && !first.startsWith('.');
}

/** Parses HOST[:PORT]/NAME[:TAG|@sha256:HEX]; the tag defaults to "latest", as docker's does. */
export function parseReference(text: string): ImageReference {
  const bad = (why: string): never => {
    throw new ImageError(`Expected an image reference such as 127.0.0.1:5000/workbook/web:latest or …/web@sha256:<64 hex>, got ${JSON.stringify(text)}: ${why}`);
  };
  if (!isRegistryReference(text)) bad('it must start with a registry host (with a dot, a port, or localhost)');
  const slash = text.indexOf('/');
  const registry = text.slice(0, slash);
  let rest = text.slice(slash + 1);
  let reference = 'latest';
  let byDigest = false;
  const at = rest.indexOf('@');
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
    byDigest = true;
    if (!DIGEST.test(reference)) bad('a digest is sha256: and 64 lower-case hex digits');
  }
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    const tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) bad(`the tag ${JSON.stringify(tag)} is not letters, digits, '_', '.', '-' (at most 128)`);
    if (!byDigest) reference = tag; // name:tag@digest: the digest wins, as in docker
  }
  if (!rest.split('/').every((c) => COMPONENT.test(c))) bad('a repository is lower-case components separated by "/"');
  return { registry, repository: rest, reference, byDigest };
}

/** The reference written out again, canonically: how the store names a pulled image. */
export function formatReference(r: ImageReference): string {
  return `${r.registry}/${r.repository}${r.byDigest ? '@' : ':'}${r.reference}`;
}

/**
 * http for a registry on this machine (127.0.0.0/8, ::1, localhost) — the
 * workbook's own, like docker's "insecure registries" default for loopback —
 * and https for every other host.
 */
export function registryBase(registry: string): string {
  const host = registry.replace(/:\d+$/, '');
  const local = /^127\.\d+\.\d+\.\d+$/.test(host) || host === 'localhost' || host === '[::1]';
  return `${local ? 'http' : 'https'}://${registry}`;
}
