/**
 * Proof that the stage design carries a user namespace (chapter 6 builds on
 * it): a stack of chapter 2's reference and this "chapter 6", whose
 * namespaces are made by the single-threaded stage (nsexec) and whose root
 * is mapped to an unprivileged range on the host (run-userns.ts).
 */
import fs from 'node:fs';
import { CLONE_NEWUSER } from '../../toolkit/kernel/index.ts';
import type { Container } from '../../toolkit/runtime/container.ts';

/** Container uid/gid 0..65535 are host 100000..165535 (see user_namespaces(7), "User and group ID mappings"). */
export const HOST_ID = 100000;

export function namespaces(_c: Container): number {
  return CLONE_NEWUSER;
}

export function writeIdMaps(_c: Container, pid: number): void {
  fs.writeFileSync(`/proc/${pid}/uid_map`, `0 ${HOST_ID} 65536\n`);
  fs.writeFileSync(`/proc/${pid}/gid_map`, `0 ${HOST_ID} 65536\n`);
}

/** Nothing to write to: the shared rootfs, read-only to container root, and no /tmp of its own. */
export function ownWritableLayer(_c: Container, _pid: number): void {}
export function mountOwnTmp(_c: Container): void {}
export function removeOwnTmp(_c: Container): void {}
