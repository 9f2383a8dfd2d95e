/**
 * Which network namespace the calling thread is in: the link text of
 * /proc/thread-self/ns/net, e.g. "net:[4026531840]" (namespaces(7)). The
 * host side of a container — bridge, veth end, iptables rules, sysctls —
 * lives in the runner's network namespace; the workbook's records say which,
 * so a cleanup run elsewhere leaves other namespaces alone.
 */
import fs from 'node:fs';

export function currentNetns(): string {
  return fs.readlinkSync('/proc/thread-self/ns/net');
}

/** "net:[4026531840]" → "4026531840", for file names. */
export function netnsInode(link: string = currentNetns()): string {
  return /\[(\d+)\]/.exec(link)?.[1] ?? link.replace(/\W/g, '');
}
