/**
 * Proof that the stage design carries a user namespace (chapter 6 builds on
 * it): a chapter whose namespaces are made by the single-threaded stage
 * (nsexec) and whose root is mapped to an unprivileged range on the host.
 */
import fs from 'node:fs';
import { CLONE_NEWIPC, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWUTS } from '../../toolkit/kernel/index.ts';
import type { Container } from '../../toolkit/runtime/container.ts';
export { setupContainer } from '../../solutions/02-namespaces/container.ts';

/** Container uid/gid 0..65535 are host 100000..165535 (see user_namespaces(7), "User and group ID mappings"). */
export const HOST_ID = 100000;

export function namespacesForNsexec(_c: Container): number {
  return CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID;
}

export function writeIdMaps(_c: Container, pid: number): void {
  fs.writeFileSync(`/proc/${pid}/uid_map`, `0 ${HOST_ID} 65536\n`);
  fs.writeFileSync(`/proc/${pid}/gid_map`, `0 ${HOST_ID} 65536\n`);
}
