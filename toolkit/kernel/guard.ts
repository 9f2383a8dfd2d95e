/**
 * A safety net, because the workbook runs as root: sethostname(2) in the
 * host's UTS namespace renames the host, and mount(2) in the host's mount
 * namespace changes the host's mount table. In a container's first process
 * the runner tells this module which namespaces are the host's; the calls in
 * hostname.ts, mount.ts and pivot-root.ts then refuse to act on those.
 */
import fs from 'node:fs';

export type GuardedKind = 'uts' | 'mnt';

const host: Partial<Record<GuardedKind, string>> = {};

const WHY: Record<GuardedKind, string> = {
  uts: 'it would rename the host: unshare CLONE_NEWUTS first',
  mnt: "it would change the host's mounts: unshare CLONE_NEWNS first",
};

export class HostProtectionError extends Error {
  override readonly name = 'HostProtectionError';
}

/** Called by the child stage with the runner's namespace links, e.g. { uts: "uts:[4026531838]" }. */
export function protectHostNamespaces(links: Partial<Record<GuardedKind, string>>): void {
  Object.assign(host, links);
}

export function refuseInHostNamespace(kind: GuardedKind, call: string): void {
  const link = host[kind];
  if (link !== undefined && fs.readlinkSync(`/proc/thread-self/ns/${kind}`) === link) {
    throw new HostProtectionError(`${call}: refused, this process is still in the host's ${kind === 'uts' ? 'UTS' : 'mount'} namespace and ${WHY[kind]}`);
  }
}
