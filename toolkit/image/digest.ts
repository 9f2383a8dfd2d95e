/**
 * Content addressing: everything in an OCI image is named by the SHA-256 of
 * its bytes ("sha256:" + 64 hex digits), so a name can be checked against
 * what it names, and the same content is stored once.
 * https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests
 */
import crypto from 'node:crypto';
import { ImageError } from './errors.ts';

const SHA256 = /^sha256:([a-f0-9]{64})$/;

export function sha256(bytes: Buffer): string {
  return `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * The hex part of a digest, which becomes a file name. Anything else is
 * refused: a digest such as "sha256:../../etc" must never become a path.
 */
export function digestHex(digest: string, what: string): string {
  const match = SHA256.exec(digest);
  if (!match) throw new ImageError(`${what} has an invalid digest ${JSON.stringify(digest)}: expected sha256: and 64 hex digits`);
  return match[1]!;
}

/** digests shortened for messages, like docker's 12-digit IDs. */
export function short(digest: string): string {
  return digest.slice(0, 'sha256:'.length + 12);
}

/** Throws one line unless `bytes` hash to `digest`. */
export function verifyDigest(bytes: Buffer, digest: string, what: string): void {
  const actual = sha256(bytes);
  if (actual !== digest) {
    throw new ImageError(`${what} is corrupt (digest mismatch): its content hashes to ${short(actual)}…`);
  }
}
