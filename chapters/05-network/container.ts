/**
 * Chapter 5 — network.  Lesson: chapters/05-network/README.md
 *
 * Give the container a network stack of its own, a cable (a veth pair) to a
 * switch on the host (a bridge), the host as its router with NAT, and ports
 * published from the host to the container.
 *
 *   npm run chapter 5 -- /bin/sh -c 'ip addr; ip route; ping -c 1 $(ip route | awk "/default/{print \$3}")'
 *   npm run chapter 5 -- --publish 8080:80 -- httpd -f -p 80 -h /var/www     (then: wget -qO- 127.0.0.1:8080)
 *   npm test
 *
 * The work is done by `ip` (iproute2) and `iptables`, run through ip() and
 * insertRule()/deleteRule(); a failing one throws an error that names the
 * command and what it said. The lesson explains why commands, not netlink.
 */
// Namespaces and the root filesystem come from chapter 2's reference solution,
// so this chapter works even if yours is not finished. Swap in your own:
// '../02-namespaces/container.ts'.
import * as ch2 from '../../solutions/02-namespaces/container.ts';
import { CLONE_NEWNET, unshare } from '../../toolkit/kernel/index.ts';
import { ip } from '../../toolkit/network/command.ts';
import { deleteRule, insertRule, type Rule } from '../../toolkit/network/iptables.ts';
import { LEASE_DIR, claimLease, findLease, releaseLease, type Lease } from '../../toolkit/network/leases.ts';
import { bridgePorts, deleteLinkIfPresent, linkExists } from '../../toolkit/network/links.ts';
import { withNetworkLock } from '../../toolkit/network/lock.ts';
import { currentNetns } from '../../toolkit/network/netns.ts';
import { checkPublish } from '../../toolkit/network/ports.ts';
import { restoreSysctls, setSysctl } from '../../toolkit/network/sysctl.ts';
import { todo, type Container } from '../../toolkit/runtime/container.ts';

/** Host side, on the runner's main thread, just before the container's first process is spawned. */
export function createNamespaces(c: Container): void {
  // TODO(5.1): one more namespace, before chapter 2's: unshare(2) CLONE_NEWNET, so the child is
  //            born with a network stack of its own (only lo, and it is down). Then delete the line below.
  todo('5.1 unshare a network namespace');
  ch2.createNamespaces(c);
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
export function prepareHost(c: Container, pid: number): void {
  checkPublish(c); // bad --publish: one line, before anything is made
  if (c.network === 'none') return; // only lo, which 5.6 brings up inside
  withNetworkLock(() => {
    const net = claimLease(c); // a free address and names; the subnet is the bridge's, or one the host does not use
    if (!linkExists(net.bridge)) createBridge(net); // the first container makes the bridge
    connectContainer(net, pid);
    for (const rule of publishRules(c, net)) insertRule(rule, c.id);
  });
}

/** The switch all containers plug into, with the host's address on it; and the host as their router. */
export function createBridge(net: Lease): void {
  // TODO(5.2): the bridge, with three ip() calls (ip-link(8), ip-address(8)):
  //            ip link add wb0 type bridge; ip address add 10.200.1.1/24 dev wb0; ip link set wb0 up
  //            — spelled with net.bridge, `${net.gateway}/${net.prefixLength}`.
  // TODO(5.3): the host becomes a router: setSysctl('net.ipv4.ip_forward', '1'), and
  //            setSysctl(`net.ipv4.conf.${net.bridge}.route_localnet`, '1') so that connections from
  //            127.0.0.1 may leave by the bridge; then insertRule(rule, net.bridge) for each of
  //            bridgeRules(net). (setSysctl remembers the old value; restoreSysctls puts it back.)
  // Then delete the line below.
  todo('5.2–5.3 create the bridge and make the host a router');
}

/** The rules every container on the bridge shares: added with the bridge, deleted with it. */
export function bridgeRules(net: Lease): Rule[] {
  // TODO(5.3): return five rules, as { table, chain, spec } (spec as you would type it after the chain):
  //   nat    POSTROUTING  -s SUBNET ! -o wb0 -j MASQUERADE        containers' packets leave with the host's address
  //   nat    POSTROUTING  -s 127.0.0.0/8 -o wb0 -j MASQUERADE     the host's 127.0.0.1 cannot be answered: use wb0's address
  //   filter FORWARD      -i wb0 -j ACCEPT                         where the host drops forwarded packets (docker does),
  //   filter FORWARD      -o wb0 -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT
  //                                                               let containers out, and in only replies and published ports
  //   filter INPUT        -i wb0 -d 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
  //                                                               route_localnet opens the host's 127.0.0.1 to containers
  //                                                               (CVE-2020-8558): let in from wb0 only replies
  // Then delete the line below.
  todo('5.3 the bridge\'s NAT and FORWARD rules');
}

/** The cable: a veth pair, one end plugged into the bridge, the other moved into the container. */
export function connectContainer(net: Lease, pid: number): void {
  // TODO(5.4): four ip() calls (veth(4), ip-link(8)):
  //            ip link add wbh-2 type veth peer name wbc-2      (net.hostVeth, net.peerVeth)
  //            ip link set wbh-2 master wb0                      plug the host's end into the bridge
  //            ip link set wbh-2 up
  //            ip link set wbc-2 netns PID                       move the other end into the container's namespace
  // Then delete the line below.
  todo('5.4 create the veth pair, plug one end in, move the other into the container');
}

/** --publish HOST:CONTAINER is destination NAT: connections to HOST on the host go to the container. */
export function publishRules(c: Container, net: Lease): Rule[] {
  // TODO(5.5): for each { hostPort, containerPort } of c.publish, two nat rules with the same spec
  //            -p tcp --dport HOST -m addrtype --dst-type LOCAL -j DNAT --to-destination ADDRESS:CONTAINER
  //            one in PREROUTING (packets arriving from elsewhere), one in OUTPUT (the host's own).
  //            With no --publish, an empty list. (c.publish.flatMap(…) is handy.) Then delete the line below.
  todo('5.5 the DNAT rules for --publish');
}

/** Inside: the container's first process, in its network namespace, before chapter 2's pivot_root. */
export function setupContainer(c: Container): void {
  bringUpLoopback();
  // The lease is a file in the host's RUN_DIR: readable now, before pivot_root hides the host.
  if (c.network === 'bridge') configureEth0(leaseOf(c));
  ch2.setupContainer(c);
}

export function bringUpLoopback(): void {
  // TODO(5.6): a new network namespace's lo is down: without it not even 127.0.0.1 works.
  //            ip link set lo up. Then delete the line below.
  todo('5.6 bring up lo');
}

export function configureEth0(net: Lease): void {
  // TODO(5.7): four ip() calls, here inside the container's network namespace:
  //            ip link set wbc-2 name eth0                       (it arrived down: a move brings a link down)
  //            ip address add 10.200.1.2/24 dev eth0             (`${net.address}/${net.prefixLength}`)
  //            ip link set eth0 up
  //            ip route add default via 10.200.1.1               (net.gateway: the bridge's address)
  // Then delete the line below.
  todo('5.7 name eth0, give it its address, bring it up, route via the bridge');
}

/**
 * Host side, after the container has ended — also from `npm run clean`
 * after a crash, with nothing but the state file to go on. Given: find the
 * lease by the container's id, and release it whatever happens.
 */
export function cleanupHost(c: Container): void {
  if (c.network === 'none') return;
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
  // TODO(5.8): in this order:
  //            deleteRule(rule, c.id) for each of publishRules(c, net);
  //            deleteLinkIfPresent(net.hostVeth) — the kernel deletes both ends of a veth pair
  //              together, and a dead container's namespace took them already: "if present";
  //            if the bridge is left with no ports (bridgePorts(net.bridge).length === 0):
  //              deleteRule(rule, net.bridge) for each of bridgeRules(net), restoreSysctls(),
  //              and deleteLinkIfPresent(net.bridge) (ip link delete wb0).
  // This step has no todo() line on purpose: a cleanup that throws would leave the container's
  // state for `npm run clean` to retry again and again. Until you write it, each run leaves the
  // bridge and rules behind; the checks show them and `npm run clean` removes them.
}

/** The lease the host side wrote for this container. */
function leaseOf(c: Container): Lease {
  const lease = findLease(c.id);
  if (lease === undefined) throw new Error(`no network lease for container ${c.id} in ${LEASE_DIR}: prepareHost() did not make one`);
  return lease;
}
