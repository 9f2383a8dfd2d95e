/**
 * Chapter 5 — network.  Lesson: chapters/05-network/README.md
 *
 * Give the container a network stack of its own, a cable (a veth pair) to a
 * switch on the host (a bridge), the host as its router with NAT, and ports
 * published from the host to the container.
 *
 *   npm run chapter 5 -- /bin/sh -c 'ip addr; ip route; ping -c 1 $(ip route | awk "/default/{print \$3}")'
 *   npm run chapter 5 -- --publish 8080:80 -- httpd -f -p 80 -h /var/www     (then: wget -qO- 127.0.0.1:8080)
 *   npm test -- 5
 *   npm run hint 5.4                        a hint for TODO 5.4 (again: the next one)
 *
 * Chapter 5's container is chapter 4's (namespaces, cgroup, image) with a
 * network: the earlier chapters come from solutions/ (--mine: yours).
 *
 * The work is done by `ip` (iproute2) and `iptables`, run through ip() and
 * insertRule()/deleteRule(); a failing one throws an error that names the
 * command and what it said. The lesson explains why commands, not netlink.
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
import { todo, type Container } from '../../toolkit/runtime/container.ts';

/** Host side: the clone flags this chapter adds to chapter 2's (the runner combines them). */
export function namespaces(_c: Container): number {
  // TODO(5.1): the container needs a network stack of its own: interfaces, routes, ports,
  //            firewall. network_namespaces(7); lesson: "A network namespace".
  return todo('5.1 the clone flag of a network namespace');
}

/**
 * Host side, after the spawn and before the container's setup runs: `pid`
 * is the container's first process as the host sees it. Given: the order of
 * the steps, under the network lock so that two runners never pick the same
 * address or make the bridge twice. `net` (the lease) names everything:
 * net.bridge "wb0", net.gateway "10.200.1.1", net.address "10.200.1.2",
 * net.prefixLength 24, net.subnet "10.200.1.0/24", net.hostVeth "wbh-2",
 * net.peerVeth "wbc-2".
 */
export function connectNetwork(c: Container, pid: number): Container {
  checkPublish(c); // bad --publish: one line, before anything is made
  if (c.network === 'none') return c; // only lo, which 5.6 brings up inside
  return withNetworkLock(() => {
    const net = claimLease(c); // a free address and names; the subnet is the bridge's, or one the host does not use
    if (!linkExists(net.bridge)) {
      createBridge(net);
      routeThroughHost(net);
    } // the first container makes the bridge
    connectContainer(net, pid);
    for (const rule of publishRules(c, net)) insertRule(rule, c.id);
    return { ...c, lease: net }; // the container's first process reads it from here (RUN_DIR may be out of its reach)
  });
}

/** The switch all containers plug into, with the host's address on it. */
export function createBridge(net: Lease): void {
  // TODO(5.2): a switch on the host that every container's cable plugs into, with the
  //            host's own address on it (net.gateway/net.prefixLength), up. ip() runs ip(8);
  //            ip-link(8) "type bridge", ip-address(8); lesson: "The bridge".
  todo('5.2 create the bridge');
}

/** The host as the containers' router, with the bridge's NAT and FORWARD rules. */
export function routeThroughHost(net: Lease): void {
  // TODO(5.3): the host must route between the bridge and its other interfaces, and let
  //            connections from 127.0.0.1 leave by the bridge (setSysctl remembers the old
  //            values); then insert each of bridgeRules(net), tagged net.bridge.
  //            lesson: "The host as a router".
  todo('5.3 make the host a router for the bridge');
}

/** The rules every container on the bridge shares: added with the bridge, deleted with it. */
export function bridgeRules(net: Lease): Rule[] {
  // TODO(5.3): five rules, as { table, chain, spec } (spec as you would type it after the chain):
  //            containers' packets leaving by another interface get the host's address;
  //            connections from the host's 127.0.0.0/8 into the bridge get the bridge's;
  //            where the host drops forwarded packets (docker does), let the bridge's packets
  //            out, and in only replies and DNAT'ed connections; and since route_localnet opens
  //            the host's 127.0.0.1 to containers (CVE-2020-8558), let in from the bridge to
  //            127.0.0.0/8 only replies. iptables-extensions(8) MASQUERADE, conntrack;
  //            lesson: "NAT out".
  todo('5.3 the bridge\'s NAT and FORWARD rules');
}

/** The cable: a veth pair, one end plugged into the bridge, the other moved into the container. */
export function connectContainer(net: Lease, pid: number): void {
  // TODO(5.4): a cable: a veth pair (net.hostVeth, net.peerVeth), the host's end plugged into
  //            net.bridge and up, the other end moved into the network namespace of process
  //            `pid`. veth(4), ip-link(8) "master", "netns"; lesson: "A veth pair".
  todo('5.4 create the veth pair, plug one end in, move the other into the container');
}

/** --publish HOST:CONTAINER is destination NAT: connections to HOST on the host go to the container. */
export function publishRules(c: Container, net: Lease): Rule[] {
  // TODO(5.5): for each { hostPort, containerPort } of c.publish, destination NAT of TCP
  //            connections to a local address on hostPort to net.address:containerPort, for
  //            packets from elsewhere and for the host's own. No --publish: no rules.
  //            iptables-extensions(8) DNAT, addrtype; lesson: "Published ports".
  todo('5.5 the DNAT rules for --publish');
}

/** Inside: the container's first process, in its network namespace, before chapter 2's pivot_root. Given. */
export function configureNetwork(c: Container): void {
  bringUpLoopback();
  if (c.network === 'bridge') configureEth0(leaseOf(c));
}

export function bringUpLoopback(): void {
  // TODO(5.6): in a new network namespace not even 127.0.0.1 works yet. Why?
  //            ip-link(8); lesson: "A network namespace".
  todo('5.6 bring up lo');
}

export function configureEth0(net: Lease): void {
  // TODO(5.7): the cable's end arrived here (net.peerVeth, down: a move brings a link down).
  //            Make it eth0 with net.address/net.prefixLength, up, and the bridge
  //            (net.gateway) the default route. ip-link(8), ip-address(8), ip-route(8);
  //            lesson: "Inside the container".
  todo('5.7 name eth0, give it its address, bring it up, route via the bridge');
}

/**
 * Host side, after the container has ended — also from `npm run clean`
 * after a crash, with nothing but the state file to go on. Given: find the
 * lease by the container's id, and release it whatever happens.
 */
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
  // TODO(5.8): undo connectNetwork, in the reverse order: the container's DNAT rules, its
  //            veth pair (a dead container's namespace may have taken it already), and —
  //            when no port is left on the bridge — the bridge's rules, the sysctls, the
  //            bridge. deleteRule(), deleteLinkIfPresent(), bridgePorts(), restoreSysctls();
  //            lesson: "Cleaning up".
  // This step has no todo() line on purpose: a cleanup that throws would leave the container's
  // state for `npm run clean` to retry again and again. Until you write it, each run leaves the
  // bridge and rules behind; the checks show them and `npm run clean` removes them.
}

/** The lease the host side chose for this container. */
function leaseOf(c: Container): Lease {
  const lease = c.lease;
  if (lease === undefined) throw new Error(`no network lease for container ${c.id} in ${LEASE_DIR}: prepareHost() did not make one`);
  return lease;
}
