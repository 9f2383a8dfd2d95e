/**
 * createNamespaces() unshares namespaces on the runner's main thread so that
 * the next child is born in them. The runner itself must not stay there: its
 * later work (cleanup, cgroups, network) belongs to the host. So we keep the
 * thread's original namespaces open and setns(2) back after the spawn.
 *
 * setns() into a mount namespace needs a thread with its own filesystem
 * context; unshare(CLONE_NEWNS) gave the main thread exactly that, which is
 * why going back works only for namespaces that were actually changed.
 */
import fs from 'node:fs';
import { setns } from '../kernel/index.ts';

const KINDS = ['mnt', 'uts', 'ipc', 'net', 'cgroup', 'pid_for_children'] as const;

/**
 * The thread's namespace now; null when the link cannot be read — as for
 * pid_for_children after unshare(CLONE_NEWPID) and before the first child
 * (pid_namespaces(7)), which also means it changed.
 */
function currentLink(path: string): string | null {
  try {
    return fs.readlinkSync(path);
  } catch {
    return null;
  }
}

export interface SavedNamespaces {
  restore(): void;
}

export function saveNamespaces(): SavedNamespaces {
  const saved = KINDS.map((kind) => {
    const path = `/proc/thread-self/ns/${kind}`;
    return { kind, path, link: fs.readlinkSync(path), fd: fs.openSync(path, 'r') };
  });
  return {
    restore() {
      try {
        for (const ns of saved) {
          if (currentLink(ns.path) !== ns.link) setns(ns.fd, 0, `"${ns.path}" (${ns.link})`);
        }
      } finally {
        for (const ns of saved) fs.closeSync(ns.fd);
      }
    },
  };
}
