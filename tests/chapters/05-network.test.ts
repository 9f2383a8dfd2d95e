/**
 * Chapter 5 — network. The runner runs inside a scratch network namespace
 * that this suite makes to play "the host", with a second one beyond it for
 * "the world". No bridge, route or firewall rule of the real machine is ever
 * touched, and every packet stays between namespaces made here; both die
 * with the suite (their holder processes die with it, PR_SET_PDEATHSIG).
 *
 *   the world                 the host (scratch)                      a container
 *   uplink0 10.200.0.2/24 ◀─▶ uplink1 10.200.0.1/24   wb0 ◀─▶ wbh-N ═════ eth0
 *   :9000 answers with the          (the workbook must not pick 10.200.0.0/24:
 *   caller's address                 the host already routes it)
 *
 * Every graded check finds the container's process from the host and reads
 * its network namespace there: /proc/PID/ns/net against the scratch host's,
 * and its links, addresses and routes with `nsenter --net=/proc/PID/ns/net ip …`
 * run by the grader; the host side (bridge, veth, rules) with `ip` and
 * `iptables-save` in the scratch host. What the command prints only supports.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { check, shown } from '../support/check.ts';
import { Running, TIME_SCALE, described, runChapter, type Ran } from '../support/container.ts';
import { Observed, diagnose, namespaceOf } from '../support/observe.ts';
import { PROJECT, ROOTFS } from '../../toolkit/paths.ts';
import { leaseFile, listLeases, type Lease } from '../../toolkit/network/leases.ts';
import { listStates } from '../../toolkit/runtime/state.ts';
import { netnsInode } from '../../toolkit/network/netns.ts';
import { savedSysctlsFile } from '../../toolkit/network/sysctl.ts';
import { SUBNET_CANDIDATES, overlaps } from '../../toolkit/network/subnet.ts';

const TAKEN = SUBNET_CANDIDATES[0]!; // 10.200.0.0/24: the scratch host's own network
const HOST_UPLINK = TAKEN.replace(/0\/24$/, '1');
const WORLD = TAKEN.replace(/0\/24$/, '2');
const BUSYBOX = path.join(ROOTFS, 'bin/busybox');

let host: Scratch;
let world: Scratch;
let before: string[];

beforeAll(async () => {
  host = await Scratch.make();
  world = await Scratch.make();
  host.sh('ip link set lo up');
  // A fresh host does not route: the machine's own ip_forward=1 (copied into new namespaces) would hide a missing one (TODO 5.3).
  host.sh('echo 0 > /proc/sys/net/ipv4/ip_forward');
  host.sh(`ip link add uplink1 type veth peer name uplink0 netns ${world.pid}`);
  host.sh(`ip address add ${HOST_UPLINK}/24 dev uplink1 && ip link set uplink1 up`);
  world.sh(`ip link set lo up && ip address add ${WORLD}/24 dev uplink0 && ip link set uplink0 up`);
  // The world's web server answers with the address it sees the caller come from.
  await world.serve("require('http').createServer((q, s) => s.end(q.socket.remoteAddress.replace(/^::ffff:/, ''))).listen(9000, () => console.log('listening'))").listening;
  before = host.snapshot();
});

afterAll(() => {
  // The workbook's records about the scratch host go with it (a failed check may have left some).
  if (host) {
    for (const lease of listLeases().filter((l) => l.netns === host.netns)) fs.rmSync(leaseFile(lease.index), { force: true });
    fs.rmSync(savedSysctlsFile(netnsInode(host.netns)), { force: true });
  }
  world?.remove();
  host?.remove();
});

/** Runs chapter 5 with the runner inside the scratch host. */
const run = (args: string[], timeoutMs = 20000) => runChapter(5, args, timeoutMs, host.prefix);
const start = (args: string[]) => new Running(5, args, host.prefix);
/** A container of chapter 5 on the scratch host, its command `script` ending in a sleep the grader finds. */
const observe = (options: string[], script: string) => Observed.start(5, options, script, host.prefix);

/** Why a container never reached its command: the runner's error names the `ip` command that failed. */
const WHY: ReadonlyArray<readonly [RegExp, string]> = [
  [/`ip route add default[^`]*` failed/, 'the default route was refused: eth0 must be up, with its address, before `ip route add default via GATEWAY` (TODO 5.7)'],
  [/`ip (link|address)[^`]*eth0[^`]*` failed|`ip link set [^`]* name eth0` failed/, 'configureEth0(): rename net.peerVeth to eth0, give it net.address/prefixLength, bring it up (TODO 5.7)'],
  [/`ip link (add|set) [^`]*(type veth|master|netns)[^`]*` failed/, 'connectContainer(): the veth pair, its host end on the bridge and up, the other end moved to the container\'s PID (TODO 5.4)'],
  [/`ip (link|address) [^`]*(type bridge|dev wb)[^`]*` failed/, 'createBridge(): the bridge, with the gateway address, up (TODO 5.2)'],
  [/`iptables[^`]*` failed/, 'a rule iptables refused: check its table, chain and spec (TODO 5.3, TODO 5.5)'],
];

/** The host PID of the container whose runner is `runner` (its state file), once known. */
function containerPid(runner: Running | Observed): number | undefined {
  const r = runner instanceof Observed ? runner.run : runner;
  return listStates().find((st) => st.runner === r.process.pid)?.pid;
}

/** `ip ARGS` in the container's network namespace, run by the grader from the host (nsenter), not by the container. */
function ipIn(pid: number, args: string): string {
  const r = spawnSync('nsenter', [`--net=/proc/${pid}/ns/net`, '--', 'ip', ...args.split(' ')], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : '';
}

/** Whether the container's process has a network namespace of its own: neither the (scratch) host's nor gone. */
function ownNetwork(pid: number | undefined): boolean {
  return pid !== undefined && namespaceOf(pid, 'net') !== '(gone)' && namespaceOf(pid, 'net') !== host.netns;
}

/** The lease the workbook holds on the scratch host for the container of `pid`'s run. */
function leaseOf(runner: Running | Observed): Lease | undefined {
  const r = runner instanceof Observed ? runner.run : runner;
  const id = listStates().find((st) => st.runner === r.process.pid)?.container.id;
  return listLeases().find((l) => l.netns === host.netns && l.container === id);
}

/**
 * Which step a container that cannot reach its gateway is missing, from what the host sees:
 * the bridge (its address, up), the host's veth end (on the bridge, up), else the route inside.
 */
function pathHint(net: Lease | undefined): string {
  if (net === undefined) return 'connectNetwork() must claim a lease and connect the container (TODO 5.2–5.4)';
  const bridge = host.exec(['ip', '-o', 'link', 'show', 'dev', net.bridge]).stdout;
  const bridgeAddress = host.exec(['ip', '-o', '-4', 'address', 'show', 'dev', net.bridge]).stdout;
  const veth = host.exec(['ip', '-o', 'link', 'show', 'dev', net.hostVeth]).stdout;
  if (!bridge || !bridgeAddress.includes(`${net.gateway}/${net.prefixLength}`) || !/<[^>]*\bUP\b/.test(bridge)) {
    return `on the host, the bridge ${net.bridge} must carry ${net.gateway}/${net.prefixLength} and be up: ${shown(bridge + bridgeAddress, 160)} (TODO 5.2)`;
  }
  if (!veth.includes(`master ${net.bridge}`) || !/<[^>]*\bUP\b/.test(veth)) {
    return `on the host, the veth end ${net.hostVeth} must be plugged into ${net.bridge} (master) and up: ${shown(veth, 160)} (TODO 5.4)`;
  }
  return `the bridge and the host's veth end are up: inside, ip route add default via ${net.gateway} (TODO 5.7)`;
}

describe('chapter 5: network', () => {
  test('the container has its own network: only lo and eth0, an address the host does not use, a route via the bridge', async () => {
    // Nothing to run inside: the grader reads the namespace itself, and pings the gateway from it.
    const o = await observe([], 'true');
    try {
      if (o.pid === null) {
        check(false, { expected: 'the container starts and runs its command', seen: await o.failure(), hint: diagnose(await o.stderr(), WHY) });
        return;
      }
      const pid = o.pid;
      const ns = namespaceOf(pid, 'net');
      check(ns !== host.netns, {
        expected: `/proc/${pid}/ns/net, read from the host: a network namespace other than the host's (${host.netns})`,
        seen: ns,
        hint: 'the container\'s process shares the host\'s network: namespaces() must return CLONE_NEWNET (TODO 5.1)',
      });
      // Seen from the host, inside the container's network namespace (nsenter), not printed by the container.
      const links = ipIn(pid, '-o link show');
      const names = linkNames(links);
      const up = upLinks(links);
      check(names.join(' ') === 'eth0 lo' && up.join(' ') === 'eth0 lo', {
        expected: 'two links, both UP: lo and eth0 (ip -o link, in its network namespace)',
        seen: shown(links),
        hint: !names.includes('eth0')
          ? 'move the veth end into the container (ip link set … netns PID, TODO 5.4) and rename it eth0 inside (TODO 5.7)'
          : !up.includes('lo') ? 'a new network namespace\'s lo starts down: ip link set lo up (TODO 5.6)' : 'bring eth0 up inside: ip link set eth0 up (TODO 5.7)',
      });
      const addresses = ipIn(pid, '-o -4 address show');
      const address = /eth0\s+inet (\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(addresses);
      check(address !== null && address[2] === '24' && !overlaps(`${address[1]}/32`, TAKEN) && !address[1]!.startsWith('127.'), {
        expected: `eth0 has an IPv4 address/24 outside the host's own network ${TAKEN}`,
        seen: `ip -4 address in its network namespace: ${shown(addresses)}`,
        hint: 'ip address add ADDRESS/PREFIX dev eth0 with the lease\'s address and prefixLength (TODO 5.7)',
      });
      const routes = ipIn(pid, 'route');
      const route = /^default via (\S+) dev eth0/m.exec(routes);
      const answers = route !== null && spawnSync('nsenter', [`--net=/proc/${pid}/ns/net`, '--', BUSYBOX, 'ping', '-c', '1', '-W', '2', route[1]!], { timeout: 5000 }).status === 0;
      check(route !== null && overlaps(`${route[1]}/32`, `${address![1]}/24`) && answers, {
        expected: 'a default route via the bridge\'s address (the lease\'s gateway), which answers a ping sent from its network namespace',
        seen: `ip route in its network namespace: ${shown(routes)}; ping: ${answers ? 'answered' : 'no answer'}`,
        hint: route === null ? 'ip route add default via GATEWAY inside (TODO 5.7)' : pathHint(leaseOf(o)),
      });
    } finally {
      await o.stop();
    }
  });

  test('--network none: only lo, and it is up; nothing is made on the host', async () => {
    const start = host.snapshot();
    const o = await observe(['--network', 'none'], 'true');
    const pid = o.pid;
    const own = ownNetwork(pid ?? undefined);
    const links = pid !== null && own ? ipIn(pid, '-o link show') : '';
    const addresses = pid !== null && own ? ipIn(pid, '-o -4 address show') : '';
    const seen = pid === null ? await o.failure() : `own network namespace: ${own}; ip link in it: ${shown(links)}`;
    const hint = pid === null ? diagnose(await o.stderr(), WHY) : !own ? 'the container\'s process shares the host\'s network: namespaces() must return CLONE_NEWNET (TODO 5.1)'
      : 'a new network namespace has only lo, and it starts down: ip link set lo up (TODO 5.6)';
    await o.stop();
    const after = host.snapshot();
    check(own && linkNames(links).join(' ') === 'lo' && upLinks(links).join(' ') === 'lo' && /lo\s+inet 127\.0\.0\.1\/8/.test(addresses), {
      expected: 'from the host: a network namespace of its own, with one link, lo, UP with 127.0.0.1/8',
      seen,
      hint,
    });
    check(added(start, after).length === 0, {
      expected: 'no link, address, route or rule added on the host',
      seen: shown(added(start, after).join('\n')),
      hint: 'with --network none connectNetwork() makes nothing on the host',
    });
  });

  test('two containers on the bridge ping each other', async () => {
    // b learns a's address from here and pings it; a learns b's from its neighbour table
    // (b's ARP request for a left it there, ip-neighbour(8)) and pings back.
    const a = start(['/bin/sh', '-c', 'ip -o -4 address show dev eth0; echo ready; ' +
      `for i in $(seq ${Math.ceil(50 * TIME_SCALE)}); do B=$(ip -4 neigh show dev eth0 | awk '{print $1}' | head -n 1); [ -n "$B" ] && break; sleep 0.1; done; ` +
      'ping -c 1 -W 3 "$B" >/dev/null && echo "reached $B"']);
    const aReady = await a.waitFor('ready');
    const aPid = containerPid(a);
    const aAddress = aPid !== undefined && ownNetwork(aPid) ? /inet (\d+\.\d+\.\d+\.\d+)/.exec(ipIn(aPid, '-o -4 address show dev eth0'))?.[1] ?? 'none' : 'none';
    const b = start(['/bin/sh', '-c', `trap "exit 0" TERM; ping -c 1 -W 3 ${aAddress} >/dev/null && echo "reached ${aAddress}"; ` +
      'ip -o -4 address show dev eth0; echo sent; sleep 10 & wait']);
    await b.waitFor('sent');
    const bPid = containerPid(b);
    const bAddress = bPid !== undefined && ownNetwork(bPid) ? /inet (\d+\.\d+\.\d+\.\d+)/.exec(ipIn(bPid, '-o -4 address show dev eth0'))?.[1] ?? 'none' : 'none';
    const apart = aPid !== undefined && bPid !== undefined && namespaceOf(aPid, 'net') !== namespaceOf(bPid, 'net');
    const net = leaseOf(b);
    const toGateway = aReady ? pathHint(net) : '';
    const ranA = await withTimeout(a, 10000);
    b.kill('SIGTERM');
    const ranB = await withTimeout(b, 10000);
    check(aReady && apart && aAddress !== 'none' && ranB.stdout.includes(`reached ${aAddress}`) && ranA.stdout.includes(`reached ${bAddress}`) && aAddress !== bAddress, {
      expected: `two network namespaces of their own (from the host); b pings a (${aAddress}, as the host reads eth0 in a's namespace), and a pings b (${bAddress}) back, across the bridge`,
      seen: `namespaces apart: ${apart}; a: ${described(ranA)}, stdout ${shown(ranA.stdout)}; b: ${described(ranB)}, stdout ${shown(ranB.stdout)}`,
      hint: !aReady ? diagnose(ranA.stderr, WHY) : !apart ? 'each container needs a network namespace of its own: namespaces() must return CLONE_NEWNET (TODO 5.1)'
        : toGateway.endsWith("(TODO 5.7)") ? 'both veth host ends must be plugged into the same bridge (master wb0) and up (TODO 5.4), each container with its own address (TODO 5.7)' : toGateway,
    });
  });

  test('a published port (--publish 18080:80) answers from the host and from the world; nothing is left after the run', async () => {
    const web = start(['--image', 'web', '--publish', '18080:80', '/bin/sh', '-c', 'trap "exit 0" TERM; httpd -p 80 -h /var/www; echo ready; sleep 30 & wait']);
    const ready = await web.waitFor('ready');
    const own = ownNetwork(containerPid(web));
    const during = host.snapshot();
    const fromHost = ready ? await fetchIn(host, 'http://127.0.0.1:18080/') : '';
    const fromWorld = ready ? await fetchIn(world, `http://${HOST_UPLINK}:18080/`) : '';
    const again = ready ? await run(['--publish', '18080:80', 'true']) : undefined;
    web.kill('SIGTERM');
    const ran = await withTimeout(web, 10000);
    const after = host.snapshot();

    const dnat = (chain: string) => during.some((l) => l.startsWith(`rule -t nat -A ${chain} `) && l.includes('--dport 18080') && l.includes('DNAT'));
    check(ready && own && fromHost.includes('Hello from the web image'), {
      expected: 'busybox httpd in the container\'s own network namespace (--image web) serves /var/www/index.html to the host at 127.0.0.1:18080',
      seen: ready ? `own network namespace: ${own}; host got: ${shown(fromHost)}; the host's nat rules: ${shown(during.filter((l) => l.includes('-t nat')).join('\n'))}` : described(ran),
      hint: !ready ? diagnose(ran.stderr, WHY) : !own ? 'the container\'s process shares the host\'s network: namespaces() must return CLONE_NEWNET (TODO 5.1)'
        : !dnat('OUTPUT') ? 'the host\'s nat table has no DNAT of --dport 18080 in OUTPUT, the chain of the host\'s own connections (TODO 5.5)'
          : 'DNAT is there: for 127.0.0.1, route_localnet on the bridge and a MASQUERADE of 127.0.0.0/8 out of it (TODO 5.3)',
    });
    check(fromWorld.includes('Hello from the web image'), {
      expected: `the world reaches the container through the host's address, ${HOST_UPLINK}:18080`,
      seen: `the world got: ${shown(fromWorld)}`,
      hint: !dnat('PREROUTING') ? 'the host\'s nat table has no DNAT of --dport 18080 in PREROUTING, the chain of packets that arrive from elsewhere (TODO 5.5)'
        : 'DNAT is there: the host must route what it rewrote, net.ipv4.ip_forward = 1 (TODO 5.3)',
    });
    const refused = again ? replyLines(again) : [];
    check(again !== undefined && again.code !== 0 && refused.length === 1 && refused[0]!.includes('18080'), {
      expected: 'a second container publishing 18080 is refused: non-zero exit, one line naming the port',
      seen: again ? described(again) : 'not tried',
      hint: 'connectNetwork() calls checkPublish(c) and claimLease(c) before making anything; keep those calls',
    });
    const left = [...changes(before, after), ...leasesHere()];
    check(ran.code === 0 && during.some((l) => l.startsWith('link wb0')) && left.length === 0, {
      expected: 'while it runs the host has the bridge wb0; after the run its links, addresses, routes, rules, ip_forward and leases are as before',
      seen: `${described(ran)}; left on the host: ${shown(left.join('\n'))}`,
      hint: 'disconnectNetwork(): delete the publish rules, the host\'s veth end, and — when no port is left on it — the bridge\'s rules, the sysctls and the bridge (TODO 5.8)',
    });
  });

  test('the host\'s 127.0.0.1 stays the host\'s: a container that routes 127.0.0.1 via the bridge reaches no service of it, while localhost:PORT still works (CVE-2020-8558)', async () => {
    // Services of the (scratch) host bound to its loopback only: they say what reached them.
    const probe = spawn('setpriv', ['--pdeathsig', 'KILL', '--', ...host.prefix, process.execPath, '-e', [
      "const net = require('net'), dgram = require('dgram');",
      "net.createServer((s) => { console.log('tcp from ' + s.remoteAddress); s.end('secret'); }).listen(18090, '127.0.0.1', () => {",
      "  const u = dgram.createSocket('udp4'); u.on('message', (m, r) => console.log('udp from ' + r.address)); u.bind(18091, '127.0.0.1', () => console.log('listening'));",
      '});',
    ].join('\n')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let heard = '';
    probe.stdout!.setEncoding('utf8').on('data', (d: string) => (heard += d));
    // The container's root may change its own routes and sysctls: send 127.0.0.0/8 to the gateway.
    const web = start(['--image', 'web', '--publish', '18084:80', '/bin/sh', '-c', [
      'trap "exit 0" TERM; httpd -p 80 -h /var/www',
      "gw=$(ip route | sed -n 's/^default via \\([0-9.]*\\).*/\\1/p')",
      // (lo's own routes live in the local table, looked up first: delete them, as an attacker would.)
      'ip route del local 127.0.0.0/8 dev lo table local && ip route del local 127.0.0.1 dev lo table local',
      'ip route add 127.0.0.0/8 via $gw && sysctl -w net.ipv4.conf.eth0.route_localnet=1 >/dev/null && echo ready',
      'sleep 30 & wait',
    ].join('; ')]);
    const ready = await web.waitFor('ready');
    const pid = listStates().find((s) => s.container.publish.some((p) => p.hostPort === 18084))?.pid;
    const own = ownNetwork(pid);
    if (ready && pid !== undefined) {
      const send = [
        "const s = require('net').connect(18090, '127.0.0.1'); s.on('error', () => {});",
        // A few datagrams, a moment apart: the first may wait for the gateway's ARP reply.
        "const u = require('dgram').createSocket('udp4'); for (const ms of [0, 300, 600]) setTimeout(() => u.send('probe', 18091, '127.0.0.1'), ms);",
        'setTimeout(() => process.exit(0), 1500);',
      ].join('\n');
      spawnSync('nsenter', [`--net=/proc/${pid}/ns/net`, '--', process.execPath, '-e', send], { timeout: 5000 });
      // A SYN that got through leaves a half-open connection on the host's 127.0.0.1:18090 (0100007F:46AA, state 03 SYN_RECV).
      if (/0100007F:46AA \S+ 03 /.test(host.sh('cat /proc/net/tcp'))) heard += 'tcp SYN_RECV\n';
    }
    const fromHost = ready ? await fetchIn(host, 'http://127.0.0.1:18084/') : '';
    web.kill('SIGTERM');
    await withTimeout(web, 10000);
    probe.kill('SIGKILL');

    check(ready && own && heard.includes('listening') && !/tcp|udp/.test(heard), {
      expected: 'packets to 127.0.0.0/8 that arrive from the bridge are dropped unless they belong to a published port (kube-proxy\'s rule): the host\'s loopback-only services hear nothing',
      seen: ready ? `own network namespace: ${own}; the host's 127.0.0.1 services heard: ${shown(heard.replace('listening', '').trim() || 'nothing')}` : 'the container never printed "ready"',
      hint: 'route_localnet=1 on the bridge lets 127.0.0.1 be routed to and from it: add filter INPUT -i wb0 -d 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP to bridgeRules (TODO 5.3)',
    });
    check(own && fromHost.includes('Hello from the web image'), {
      expected: 'with the guard in place, the published port still answers the host at 127.0.0.1:18084',
      seen: `host got: ${shown(fromHost)}`,
      hint: 'drop only what is not RELATED, ESTABLISHED or DNAT: replies to the host\'s own connections come back from the bridge to 127.0.0.1 (TODO 5.3)',
    });
  });

  test('containers reach the world through NAT: the world sees the host\'s address, not the container\'s', async () => {
    const o = await observe([], `timeout 5 wget -qO- http://${WORLD}:9000/; echo`);
    const pid = o.pid ?? undefined;
    const apart = ownNetwork(pid);
    const own = pid !== undefined && apart ? /inet (\d+\.\d+\.\d+\.\d+)/.exec(ipIn(pid, '-o -4 address show dev eth0'))?.[1] : undefined;
    const seenAs = o.run.stdout.trim().split('\n').at(-2)?.trim();
    const forward = host.sh('cat /proc/sys/net/ipv4/ip_forward').trim();
    const failure = pid === undefined ? await o.failure() : '';
    const why = pid === undefined ? diagnose(await o.stderr(), WHY) : '';
    await o.stop();
    check(apart && own !== undefined && seenAs === HOST_UPLINK, {
      expected: `from its own network namespace (address ${own ?? '?'}, as the host reads it), the world's server sees the connection come from the host's ${HOST_UPLINK} (masquerade)`,
      seen: pid === undefined ? failure : `own network namespace: ${apart}; the world saw ${shown(seenAs ?? '')}; the host's ip_forward: ${forward}`,
      hint: pid === undefined ? why : !apart ? 'the container\'s process shares the host\'s network: namespaces() must return CLONE_NEWNET (TODO 5.1)'
        : forward !== '1' ? 'the host does not route between its interfaces: net.ipv4.ip_forward = 1 (TODO 5.3)'
          : 'nat POSTROUTING -s SUBNET ! -o wb0 -j MASQUERADE: the world has no route back to the container\'s address (TODO 5.3)',
    });
  });

  test('SIGKILL of the runner: after npm run clean the host is as before', async () => {
    // Any runner on the machine reaps containers of killed runners, and one started in another network
    // namespace can only forget ours (its host side is not there). If one beat our `npm run clean` to it, try again.
    let attempt = await killAndClean();
    for (let i = 0; i < 2 && attempt.ready && !attempt.reapedHere; i++) attempt = await killAndClean();
    const { ready, own, during, clean, after } = attempt;
    const left = [...changes(before, after), ...leasesHere()];
    // npm run clean also sweeps links and rules by itself, as a safety net; here the chapter's disconnectNetwork() must have left it none.
    const swept = clean.split('\n').filter((l) => /cleaned: (link|iptables) /.test(l));
    check(ready && own && during.some((l) => l.includes('18082')) && left.length === 0 && swept.length === 0, {
      expected: 'the container published 18082; its runner is killed, npm run clean calls the chapter\'s disconnectNetwork(), and nothing of it is left on the host',
      seen: ready ? `own network namespace: ${own}; left: ${shown(left.join('\n'))}; swept up by npm run clean itself: ${shown(swept.join('\n'))}` : 'the container never printed "ready"',
      hint: 'disconnectNetwork() must work from the state file alone: find the lease by c.id, delete what connectNetwork() made (TODO 5.8)',
    });
  });
});

describe('given: the runner refuses a bad --publish (toolkit/network/ports.ts, not graded)', () => {
  test('bad --publish: a port in use, a malformed one, one out of range → one line, non-zero exit, nothing made', async () => {
    const start = host.snapshot();
    const listener = host.serve("require('net').createServer().listen(18083, () => console.log('listening'))");
    await listener.listening;
    const inUse = await run(['--publish', '18083:80', 'true']);
    listener.stop();
    const malformed = await run(['--publish', '18084', 'true']);
    const outOfRange = await run(['--publish', '70000:80', 'true']);
    const after = host.snapshot();
    const oneLine = (r: Ran, word: RegExp) => r.code !== 0 && r.code !== null && replyLines(r).length === 1 && word.test(r.stderr);
    check(oneLine(inUse, /18083/) && /in use/.test(inUse.stderr), {
      expected: 'a host port something listens on is refused: one line naming the port, non-zero exit',
      seen: described(inUse),
      hint: 'connectNetwork() must call checkPublish(c) before it makes anything (it is there in the file: keep it first)',
    });
    check(oneLine(malformed, /--publish/) && oneLine(outOfRange, /--publish/), {
      expected: '--publish 18084 and --publish 70000:80 are refused with one line each, non-zero exit',
      seen: `${described(malformed)}; ${described(outOfRange)}`,
      hint: 'the runner checks options before anything starts; this fails only if that is broken',
    });
    const left = [...added(start, after), ...leasesHere()];
    check(left.length === 0, {
      expected: 'nothing made on the host by the refused runs',
      seen: shown(left.join('\n')),
      hint: 'a refused --publish must be refused before the bridge or the veth pair is made',
    });
  });
});

/** A network namespace of our own, held by a `sleep` that dies with this suite. */
class Scratch {
  private readonly servers: ChildProcess[] = [];

  private constructor(private readonly holder: ChildProcess, readonly netns: string) {}

  static async make(): Promise<Scratch> {
    const ours = fs.readlinkSync('/proc/self/ns/net');
    const holder = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'unshare', '--net', '--', 'sleep', '600'], { stdio: 'ignore' });
    for (let i = 0; i < 200; i++) {
      try {
        const link = fs.readlinkSync(`/proc/${holder.pid}/ns/net`);
        if (link !== ours) return new Scratch(holder, link);
      } catch {
        // not started yet
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    holder.kill('SIGKILL');
    throw new Error('could not make a scratch network namespace (unshare --net)');
  }

  get pid(): number {
    return this.holder.pid!;
  }

  /** nsenter --net=…: the rest of the command runs in this namespace (and nothing else changes). */
  get prefix(): string[] {
    return ['nsenter', `--net=/proc/${this.pid}/ns/net`, '--'];
  }

  exec(args: readonly string[], timeout = 10000) {
    return spawnSync(this.prefix[0]!, [...this.prefix.slice(1), ...args], { encoding: 'utf8', timeout, env: { ...process.env } });
  }

  /** A setup command that must work. */
  sh(script: string): string {
    const r = this.exec(['/bin/sh', '-c', script]);
    if (r.status !== 0) throw new Error(`scratch namespace: \`${script}\` failed: ${r.stderr}`);
    return r.stdout;
  }

  /** A node program in this namespace, dying with the suite; `listening` resolves once it prints. */
  serve(code: string): { listening: Promise<void>; stop(): void } {
    const server = spawn('setpriv', ['--pdeathsig', 'KILL', '--', ...this.prefix, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'], env: { PATH: process.env.PATH ?? '' } });
    this.servers.push(server);
    const listening = new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
    return { listening, stop: () => server.kill('SIGKILL') };
  }

  /** Links, IPv4 addresses and routes, iptables tables, chains and rules, ip_forward: what the host side of a container would change. */
  snapshot(): string[] {
    const links = this.sh('ip -o link show').split('\n').filter(Boolean).map((l) => `link ${l.split(': ')[1]!.split('@')[0]}`);
    const addresses = this.sh('ip -o -4 address show').split('\n').filter(Boolean).map((l) => `address ${l.split(/\s+/).slice(1, 4).join(' ')}`);
    // (A bridge's routes say "linkdown" while no port is up: a state, not a change.)
    const routes = this.sh('ip -4 route show table all').split('\n').filter(Boolean).map((l) => `route ${l.replace(/ linkdown/, '').trim()}`);
    // The tables themselves count too: iptables-nft makes "nat" with its first rule, and an empty one still turns on conntrack.
    const rules = this.exec(['iptables-save']).stdout.split('\n').reduce<{ table: string; lines: string[] }>((acc, l) => {
      if (l.startsWith('*')) acc.lines.push(`table ${(acc.table = l.slice(1))}`);
      if (l.startsWith('-A ') || l.startsWith(':')) acc.lines.push(`rule -t ${acc.table} ${l.replace(/ \[\d+:\d+\]$/, '')}`);
      return acc;
    }, { table: '', lines: [] }).lines;
    const forward = `sysctl net.ipv4.ip_forward = ${this.sh('cat /proc/sys/net/ipv4/ip_forward').trim()}`;
    return [...links, ...addresses, ...routes, ...rules, forward];
  }

  remove(): void {
    for (const s of this.servers) s.kill('SIGKILL');
    this.holder.kill('SIGKILL');
  }
}

/** Starts a container that publishes 18082, SIGKILLs its runner, runs `npm run clean` on the scratch host. */
async function killAndClean() {
  const box = start(['--publish', '18082:80', '/bin/sh', '-c', 'echo ready; sleep 30']);
  const ready = await box.waitFor('ready');
  const id = leasesHereRaw()[0]?.container ?? 'none';
  const own = ownNetwork(containerPid(box));
  const during = host.snapshot();
  box.kill('SIGKILL');
  await box.done;
  // A killed runner cleans nothing: `npm run clean` (run on this host) calls the stack's cleanup steps from the state file.
  const ran = host.exec([process.execPath, '--import', 'tsx', path.join(PROJECT, 'toolkit/cli/clean.ts')], 30000);
  const clean = stripVTControlCharacters(`${ran.stdout}${ran.stderr}`);
  return { ready, own, during, clean, after: host.snapshot(), reapedHere: clean.includes(`cleaned up container ${id}`) };
}

/** Lines in b not in a ("+ …") and the other way round ("- …"). */
function changes(a: string[], b: string[]): string[] {
  return [...b.filter((l) => !a.includes(l)).map((l) => `+ ${l}`), ...a.filter((l) => !b.includes(l)).map((l) => `- ${l}`)];
}

/** Only what b has and a had not: what a run made (a leftover of an earlier one may vanish meanwhile). */
function added(a: string[], b: string[]): string[] {
  return changes(a, b).filter((l) => l.startsWith('+'));
}

/** Leases the workbook still holds for containers whose host side was the scratch host. */
function leasesHere(): string[] {
  return leasesHereRaw().map((l) => `lease ${l.index} (${l.address}, container ${l.container})`);
}

function leasesHereRaw() {
  return listLeases().filter((l) => l.netns === host.netns);
}

/** stderr lines, without notes about other runs' containers that this run happened to clean up first. */
function replyLines(r: Ran): string[] {
  return r.stderr.trim().split('\n').filter((l) => !/left by a runner that was killed/.test(l));
}

/** `ip -o link show` → link names, sorted ("eth0@if12" → "eth0"). */
/**
 * The kernel's fallback tunnel devices: every new network namespace gets one per loaded tunnel
 * module (ipip: tunl0, sit: sit0, …), down and unused — not the learner's doing, so not counted.
 */
const FALLBACK_TUNNELS = new Set(['tunl0', 'sit0', 'ip6tnl0', 'gre0', 'gretap0', 'erspan0', 'ip6gre0', 'ip_vti0', 'ip6_vti0']);

function linkNames(text: string): string[] {
  return text.split('\n').filter(Boolean).map((l) => l.split(': ')[1]?.split('@')[0] ?? '').filter((n) => !FALLBACK_TUNNELS.has(n)).sort();
}

function upLinks(text: string): string[] {
  return text.split('\n').filter((l) => /<[^>]*\bUP\b[^>]*>/.test(l)).map((l) => l.split(': ')[1]?.split('@')[0] ?? '').sort();
}

/** busybox wget in a namespace, retried while the server is starting; '' if it never answers. */
async function fetchIn(ns: Scratch, url: string): Promise<string> {
  const deadline = Date.now() + 5000;
  for (;;) {
    // No -T: busybox 1.35's wget crashes with it; spawnSync's timeout ends a hung fetch instead.
    const r = ns.exec([BUSYBOX, 'wget', '-qO-', url], 3000);
    if (r.status === 0) return r.stdout;
    if (Date.now() > deadline) return '';
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The run's end, or SIGKILL after `ms` so a hung container fails its check instead of the suite. */
async function withTimeout(running: Running, ms: number): Promise<Ran> {
  const timer = setTimeout(() => running.kill('SIGKILL'), ms * TIME_SCALE);
  const ran = await running.done;
  clearTimeout(timer);
  return ran;
}
