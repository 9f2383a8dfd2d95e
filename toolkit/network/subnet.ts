/**
 * Choosing the bridge's subnet: a /24 of private addresses (RFC 1918) that
 * overlaps nothing the host already routes — not its LAN, not a VPN, not
 * docker's 172.17.0.0/16. If it overlapped, the host could no longer tell
 * whether 10.200.0.7 means a container or a machine on its network.
 *
 * The candidates are 10.200.0.0/24, 10.200.1.0/24, … 10.200.255.0/24; the
 * first that no route of the host touches wins. Routes of every table count
 * (`ip route show table all`): the "local" table lists the host's own
 * addresses. See ip-route(8).
 */
import { UsageError } from '../runtime/errors.ts';
import { dumpIpv4RouteDestinations } from '../kernel/rtnetlink.ts';

export const SUBNET_CANDIDATES: readonly string[] = Array.from({ length: 256 }, (_, i) => `10.200.${i}.0/24`);

/** The first candidate no route of the caller's network namespace overlaps. */
export function chooseSubnet(): string {
  const routes = hostRoutes();
  const free = SUBNET_CANDIDATES.find((candidate) => !routes.some((route) => overlaps(candidate, route)));
  if (free === undefined) {
    throw new UsageError(`no free subnet for the workbook's bridge: every /24 of 10.200.0.0/16 overlaps a route of this host (ip route show table all)`);
  }
  return free;
}

/** Destinations of the host's IPv4 routes, as CIDR prefixes; the default route (0.0.0.0/0) overlaps everything and is left out. */
export function hostRoutes(): string[] {
  // What `ip -4 route show table all` lists, from the same rtnetlink dump (kernel/rtnetlink.ts).
  return dumpIpv4RouteDestinations().filter((dst): dst is string => dst !== null);
}

/** "10.200.1.0/24" → [network as a 32-bit number, prefix length]. */
export function parseCidr(cidr: string): [number, number] {
  const [address = '', length = '32'] = cidr.split('/');
  const prefix = Number(length);
  return [(ipv4ToNumber(address) & mask(prefix)) >>> 0, prefix];
}

export function overlaps(a: string, b: string): boolean {
  const [netA, lenA] = parseCidr(a);
  const [netB, lenB] = parseCidr(b);
  const shorter = mask(Math.min(lenA, lenB));
  return ((netA & shorter) >>> 0) === ((netB & shorter) >>> 0);
}

/** The `n`th address of a subnet: nthAddress("10.200.1.0/24", 2) is "10.200.1.2". */
export function nthAddress(cidr: string, n: number): string {
  const [net] = parseCidr(cidr);
  return numberToIpv4(net + n);
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function ipv4ToNumber(address: string): number {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${address}`);
  return parts.reduce((n, p) => n * 256 + p, 0) >>> 0;
}

export function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
}
