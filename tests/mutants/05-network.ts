/**
 * Chapter 5's mutants, in the shape of tests/mutants/mutants.ts: the reference
 * solution with one TODO step left out or done the usual wrong way. Each is
 * caught from the host: the container's /proc/PID/ns/net, its links, addresses
 * and routes read with nsenter, the scratch host's bridge, veth end, sysctls
 * and iptables rules — or, when the container never reaches its command, by
 * the `ip` command the runner names (diagnose()). One or two per step, on the
 * checks about it: the scratch host and its containers cost seconds a mutant.
 */
import type { ChapterMutant } from './07-privileges.ts';

const OWN = 'the container has its own network';
const PUBLISHED = 'a published port';
const NAT = 'reach the world through NAT';

export const CHAPTER_5_MUTANTS: readonly ChapterMutant[] = [
  { chapter: 5, step: '5.1', name: 'no network namespace', replace: [['  return CLONE_NEWNET;', '  return 0 & CLONE_NEWNET;']], checks: OWN },
  { chapter: 5, step: '5.2', name: 'bridge left down', replace: [["  ip('link', 'set', net.bridge, 'up');\n", '']], checks: OWN },
  {
    chapter: 5, step: '5.3', name: 'route_localnet without the 127.0.0.0/8 drop', checks: '127.0.0.1 stays',
    replace: [["    { table: 'filter', chain: 'INPUT', spec: ['-i', net.bridge, '-d', '127.0.0.0/8', '-m', 'conntrack', '!', '--ctstate', 'RELATED,ESTABLISHED,DNAT', '-j', 'DROP'] },\n", '']],
  },
  { chapter: 5, step: '5.3', name: 'no ip_forward', replace: [["  setSysctl('net.ipv4.ip_forward', '1');\n", '']], checks: NAT },
  { chapter: 5, step: '5.4', name: "the host's veth end left down", replace: [["  ip('link', 'set', net.hostVeth, 'up');\n", '']], checks: OWN },
  { chapter: 5, step: '5.5', name: "no DNAT of the host's own connections", replace: [["      { table: 'nat', chain: 'OUTPUT', spec: dnat }, // the host's own connections\n", '']], checks: PUBLISHED },
  { chapter: 5, step: '5.6', name: 'lo left down', replace: [["  ip('link', 'set', 'lo', 'up');\n", '']], checks: OWN },
  { chapter: 5, step: '5.7', name: 'eth0 left down', replace: [["  ip('link', 'set', 'eth0', 'up');\n", '']], checks: OWN },
  { chapter: 5, step: '5.8', name: 'publish rules left behind', replace: [['  for (const rule of publishRules(c, net)) deleteRule(rule, c.id);\n', '']], checks: PUBLISHED },
];
