/**
 * Looking at the network devices ("links") of the caller's network namespace:
 * what `ip -details link show` (ip-link(8)) lists, read with the same
 * rtnetlink dump it sends (kernel/rtnetlink.ts), without starting it. Links
 * are per namespace: the same name can exist in many namespaces, and the host
 * sees none of a container's.
 */
import { dumpIpv4Addresses, dumpLinks } from '../kernel/rtnetlink.ts';
import { CommandError, ip } from './command.ts';

export interface Link {
  readonly ifname: string;
  /** The bridge this link is plugged into, if any. */
  readonly master?: string;
  /** "bridge", "veth", … (absent for plain devices such as lo). */
  readonly kind?: string;
}

export function listLinks(): Link[] {
  const links = dumpLinks();
  const names = new Map(links.map((l) => [l.index, l.ifname]));
  return links.map((l) => {
    const master = l.master !== undefined ? names.get(l.master) : undefined;
    return { ifname: l.ifname, ...(master ? { master } : {}), ...(l.kind ? { kind: l.kind } : {}) };
  });
}

export function linkExists(name: string): boolean {
  return listLinks().some((l) => l.ifname === name);
}

/** The links plugged into `bridge` (its "ports"). */
export function bridgePorts(bridge: string): string[] {
  return listLinks().filter((l) => l.master === bridge).map((l) => l.ifname);
}

/**
 * `ip link delete NAME`, if it still exists. Deleting one end of a veth pair
 * deletes the other (veth(4)), and the kernel deletes a container's end when
 * its namespace dies, which takes the host's end with it — so "already gone"
 * is normal during cleanup, not an error.
 */
export function deleteLinkIfPresent(name: string): boolean {
  if (!linkExists(name)) return false;
  try {
    ip('link', 'delete', name);
    return true;
  } catch (error) {
    // It vanished between the look and the delete (a namespace being torn down).
    if (error instanceof CommandError && /Cannot find device/.test(error.stderr)) return false;
    throw error;
  }
}

/** The IPv4 address and prefix length of `name` ("10.200.1.1", 24), or undefined if it has none. */
export function ipv4AddressOf(name: string): { address: string; prefixLength: number } | undefined {
  const link = dumpLinks().find((l) => l.ifname === name);
  const info = link && dumpIpv4Addresses().find((a) => a.index === link.index);
  return info ? { address: info.address, prefixLength: info.prefixLength } : undefined;
}
