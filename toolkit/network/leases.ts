/**
 * Address management: each container on the bridge gets a lease, a small
 * file RUN_DIR/network/leases/N.json. N (2…254) is the last number of its
 * address and names its veth pair, so concurrent containers never share
 * either. Leases are claimed under the network lock (lock.ts) and created
 * with O_EXCL ('wx'), and they outlive a crashed runner (RUN_DIR is on
 * tmpfs: they go at reboot, with the devices they describe). The runner's
 * disconnectNetwork() releases a lease; `npm run clean` removes those whose runner
 * is gone. docker keeps the same kind of record (its IPAM store).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Container } from '../runtime/container.ts';
import { UsageError } from '../runtime/errors.ts';
import { isAlive } from '../runtime/state.ts';
import { ipv4AddressOf, linkExists, listLinks } from './links.ts';
import { NETWORK_DIR, withNetworkLock } from './lock.ts';
import { currentNetns } from './netns.ts';
import { checkNotPublishedBy } from './ports.ts';
import { chooseSubnet, nthAddress, numberToIpv4, parseCidr } from './subnet.ts';

/** The workbook's bridge: one per network namespace of the host, like docker0. */
export const BRIDGE = 'wb0';

/** Everything the chapter's steps need to know about one container's network. */
export interface Lease {
  /** The container's id (Container.id). */
  readonly container: string;
  /** The runner's PID: while it lives, the lease is in use. */
  readonly runner: number;
  /** The host side's network namespace, "net:[4026531840]". */
  readonly netns: string;
  /** 2…254: the last number of the address, and the number in the veth names. */
  readonly index: number;
  /** The bridge, "wb0". */
  readonly bridge: string;
  /** The bridge's subnet, "10.200.1.0/24". */
  readonly subnet: string;
  readonly prefixLength: number;
  /** The bridge's own address, "10.200.1.1": the containers' gateway (default route). */
  readonly gateway: string;
  /** The container's address, "10.200.1.2" (its eth0). */
  readonly address: string;
  /** The host's end of the cable, plugged into the bridge: "wbh-2". */
  readonly hostVeth: string;
  /** The container's end, until it is renamed eth0 inside: "wbc-2". */
  readonly peerVeth: string;
  /** The host ports this container publishes. */
  readonly hostPorts: readonly number[];
}

export const LEASE_DIR = path.join(NETWORK_DIR, 'leases');
const FIRST = 2; // .0 is the network, .1 the gateway
const LAST = 254; // .255 is the broadcast address

export function leaseFile(index: number): string {
  return path.join(LEASE_DIR, `${index}.json`);
}

export function listLeases(): Lease[] {
  let names: string[];
  try {
    names = fs.readdirSync(LEASE_DIR).filter((n) => /^\d+\.json$/.test(n));
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    try {
      return [JSON.parse(fs.readFileSync(path.join(LEASE_DIR, n), 'utf8')) as Lease];
    } catch {
      return []; // being written or removed right now
    }
  });
}

/** The lease of a container, if it has one. Inside the container this works before pivot_root, while RUN_DIR is in view. */
export function findLease(containerId: string): Lease | undefined {
  return listLeases().find((l) => l.container === containerId);
}

/** Leases whose runner still lives. */
export function liveLeases(): Lease[] {
  return listLeases().filter((l) => isAlive(l.runner));
}

/**
 * A free address and free names for `c`, on the bridge's subnet — or, if
 * there is no bridge yet, on a subnet the host does not use (subnet.ts).
 * Also refuses a host port another container publishes. Call it holding the
 * network lock, and with the lock still held create what the lease names.
 */
export function claimLease(c: Container): Lease {
  return withNetworkLock(() => {
    const netns = currentNetns();
    const existing = listLeases();
    checkNotPublishedBy(c, existing.filter((l) => l.netns === netns && l.container !== c.id && isAlive(l.runner)));

    const subnet = bridgeSubnet() ?? chooseSubnet();
    const [, prefixLength] = parseCidr(subnet);
    const namesHere = new Set(listLinks().map((l) => l.ifname));
    const taken = new Set(existing.map((l) => l.index));
    for (let index = FIRST; index <= LAST; index++) {
      const lease: Lease = {
        container: c.id,
        runner: process.pid,
        netns,
        index,
        bridge: BRIDGE,
        subnet,
        prefixLength,
        gateway: nthAddress(subnet, 1),
        address: nthAddress(subnet, index),
        hostVeth: `wbh-${index}`,
        peerVeth: `wbc-${index}`,
        hostPorts: c.publish.map((p) => p.hostPort),
      };
      if (taken.has(index) || namesHere.has(lease.hostVeth) || namesHere.has(lease.peerVeth)) continue;
      fs.mkdirSync(LEASE_DIR, { recursive: true, mode: 0o700 });
      try {
        fs.writeFileSync(leaseFile(index), JSON.stringify(lease), { flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw error;
      }
      return lease;
    }
    throw new UsageError(`no free address on ${BRIDGE}: ${LAST - FIRST + 1} containers hold one (npm run clean frees those of runs that crashed)`);
  });
}

export function releaseLease(lease: Lease): void {
  const file = leaseFile(lease.index);
  try {
    const held = JSON.parse(fs.readFileSync(file, 'utf8')) as Lease;
    if (held.container === lease.container) fs.rmSync(file, { force: true });
  } catch {
    // already released
  }
}

/** The subnet of the bridge in this network namespace, if it exists. */
function bridgeSubnet(): string | undefined {
  if (!linkExists(BRIDGE)) return undefined;
  const own = ipv4AddressOf(BRIDGE);
  if (own === undefined) {
    throw new UsageError(`the bridge ${BRIDGE} exists but has no IPv4 address (left by an interrupted run?): npm run clean removes it`);
  }
  const [net, length] = parseCidr(`${own.address}/${own.prefixLength}`);
  return `${numberToIpv4(net)}/${length}`;
}
