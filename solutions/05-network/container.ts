/**
 * Chapter 5 — network. Reference solution. Lesson: chapters/05-network/README.md
 */
import { CLONE_NEWNET } from '../../toolkit/kernel/index.ts';
import { ip } from '../../toolkit/network/command.ts';
import { deleteRule, insertRule, type Rule } from '../../toolkit/network/iptables.ts';
import { LEASE_DIR, claimLease, findLease, releaseLease, type Lease } from '../../toolkit/network/leases.ts';
import { bridgePorts, deleteLinkIfPresent, linkExists } from '../../toolkit/network/links.ts';
import { withNetworkLock } from '../../toolkit/network/lock.ts';
import { currentNetns } from '../../toolkit/network/netns.ts';
import { checkPublish } from '../../toolkit/network/ports.ts';
import { restoreSysctls, setSysctl } from '../../toolkit/network/sysctl.ts';
import type { Container } from '../../toolkit/runtime/container.ts';

/** Host side: a network stack of its own — a loopback device (down), no routes, no rules. network_namespaces(7). */
export function namespaces(_c: Container): number {
  return CLONE_NEWNET;
}

/**
 * Host side, after the spawn and before the container's setup runs: `pid` is
 * its first process. The lease travels on in the Container: the first process
 * may not be able to read RUN_DIR (as mapped root, chapter 6).
 */
export function connectNetwork(c: Container, pid: number): Container {
  checkPublish(c);
  if (c.network === 'none') return c;
  return withNetworkLock(() => {
    const net = claimLease(c);
    if (!linkExists(net.bridge)) {
      createBridge(net);
      routeThroughHost(net);
    }
    connectContainer(net, pid);
    for (const rule of publishRules(c, net)) insertRule(rule, c.id);
    return { ...c, lease: net };
  });
}

/** The switch all containers plug into, with the host's address on it. */
export function createBridge(net: Lease): void {
  ip('link', 'add', net.bridge, 'type', 'bridge');
  ip('address', 'add', `${net.gateway}/${net.prefixLength}`, 'dev', net.bridge);
  ip('link', 'set', net.bridge, 'up');
}

/** The host as the containers' router, with the bridge's NAT and FORWARD rules. */
export function routeThroughHost(net: Lease): void {
  // Route between interfaces (containers ↔ the world); and let 127.0.0.1 be routed out of the bridge,
  // so that `wget localhost:8080` can reach a published port.
  setSysctl('net.ipv4.ip_forward', '1');
  setSysctl(`net.ipv4.conf.${net.bridge}.route_localnet`, '1');
  for (const rule of bridgeRules(net)) insertRule(rule, net.bridge);
}

/** The rules every container on the bridge shares; added with the bridge, deleted with it. */
export function bridgeRules(net: Lease): Rule[] {
  return [
    // Outbound NAT: a container's packet leaving by another interface gets the host's address as source.
    { table: 'nat', chain: 'POSTROUTING', spec: ['-s', net.subnet, '!', '-o', net.bridge, '-j', 'MASQUERADE'] },
    // A connection from the host's 127.0.0.1 to a container: the container would answer its own lo. Use the bridge's address.
    { table: 'nat', chain: 'POSTROUTING', spec: ['-s', '127.0.0.0/8', '-o', net.bridge, '-j', 'MASQUERADE'] },
    // Routed traffic passes FORWARD; where the host drops by default (docker does), let containers out,
    // and let in only replies and connections to published ports.
    { table: 'filter', chain: 'FORWARD', spec: ['-i', net.bridge, '-j', 'ACCEPT'] },
    { table: 'filter', chain: 'FORWARD', spec: ['-o', net.bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED,DNAT', '-j', 'ACCEPT'] },
    // route_localnet lets 127.0.0.0/8 in from the bridge — any container could reach the host's loopback-only
    // services (CVE-2020-8558). Drop what comes in from it to 127.0.0.0/8, except replies (kube-proxy's rule).
    { table: 'filter', chain: 'INPUT', spec: ['-i', net.bridge, '-d', '127.0.0.0/8', '-m', 'conntrack', '!', '--ctstate', 'RELATED,ESTABLISHED,DNAT', '-j', 'DROP'] },
  ];
}

/** The cable: a veth pair, one end plugged into the bridge, the other moved into the container. */
export function connectContainer(net: Lease, pid: number): void {
  ip('link', 'add', net.hostVeth, 'type', 'veth', 'peer', 'name', net.peerVeth);
  ip('link', 'set', net.hostVeth, 'master', net.bridge);
  ip('link', 'set', net.hostVeth, 'up');
  ip('link', 'set', net.peerVeth, 'netns', String(pid));
}

/** -p HOST:CONTAINER is destination NAT: connections to HOST on any address of the host go to the container. */
export function publishRules(c: Container, net: Lease): Rule[] {
  return c.publish.flatMap(({ hostPort, containerPort }): Rule[] => {
    const dnat = ['-p', 'tcp', '--dport', String(hostPort), '-m', 'addrtype', '--dst-type', 'LOCAL',
      '-j', 'DNAT', '--to-destination', `${net.address}:${containerPort}`];
    return [
      { table: 'nat', chain: 'PREROUTING', spec: dnat }, // packets arriving from elsewhere
      { table: 'nat', chain: 'OUTPUT', spec: dnat }, // the host's own connections
    ];
  });
}

/** Inside the container's first process, in its network namespace, before pivot_root. */
export function configureNetwork(c: Container): void {
  bringUpLoopback();
  if (c.network === 'bridge') configureEth0(leaseOf(c));
}

export function bringUpLoopback(): void {
  ip('link', 'set', 'lo', 'up');
}

export function configureEth0(net: Lease): void {
  ip('link', 'set', net.peerVeth, 'name', 'eth0');
  ip('address', 'add', `${net.address}/${net.prefixLength}`, 'dev', 'eth0');
  ip('link', 'set', 'eth0', 'up');
  ip('route', 'add', 'default', 'via', net.gateway);
}

/** Host side, after the container has ended — also from `npm run clean`, with only the state file to go on. */
export function disconnectNetwork(c: Container): void {
  withNetworkLock(() => {
    const net = findLease(c.id);
    if (net === undefined) return; // it never got an address, so nothing was made for it
    try {
      // Its host side lived in another network namespace: gone with it, or not ours to reach from here.
      if (net.netns === currentNetns()) disconnectContainer(c, net);
    } finally {
      releaseLease(net);
    }
  });
}

/** Undo prepareHost(): the container's rules, its end of the cable, and the bridge if it was the last one on it. */
export function disconnectContainer(c: Container, net: Lease): void {
  for (const rule of publishRules(c, net)) deleteRule(rule, c.id);
  deleteLinkIfPresent(net.hostVeth);
  if (bridgePorts(net.bridge).length === 0) {
    for (const rule of bridgeRules(net)) deleteRule(rule, net.bridge);
    restoreSysctls();
    deleteLinkIfPresent(net.bridge);
  }
}

/** The lease the host side chose for this container. */
function leaseOf(c: Container): Lease {
  const lease = c.lease;
  if (lease === undefined) throw new Error(`no network lease for container ${c.id} in ${LEASE_DIR}: prepareHost() did not make one`);
  return lease;
}
