/**
 * Checking --publish against the host before anything is made. A published
 * port is a DNAT rule: every connection to HOSTPORT on the host is rewritten
 * to go to the container. So the port must be free — no program of the host
 * listening on it (the rule would take its connections away), no other
 * container publishing it (the first rule would win, silently).
 */
import fs from 'node:fs';
import type { Container } from '../runtime/container.ts';
import { UsageError } from '../runtime/errors.ts';

/** TCP ports something listens on in the caller's network namespace (/proc/net/tcp and tcp6, proc(5)). */
export function listeningTcpPorts(): Set<number> {
  const ports = new Set<number>();
  for (const file of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(`/proc/thread-self/net/${file}`, 'utf8');
    } catch {
      continue; // no IPv6 in this kernel
    }
    // "  0: 00000000:1F90 00000000:0000 0A …": local address:port in hex, then the state; 0A is LISTEN.
    for (const line of text.trim().split('\n').slice(1)) {
      const [, local = '', , state] = line.trim().split(/\s+/);
      if (state === '0A') ports.add(parseInt(local.split(':')[1] ?? '', 16));
    }
  }
  return ports;
}

/**
 * The checks that need no lock: --publish with --network none, a host port
 * given twice, a host port a program of the host listens on. Throws one line.
 */
export function checkPublish(c: Container): void {
  if (c.publish.length === 0) return;
  if (c.network === 'none') {
    throw new UsageError('--publish needs --network bridge: with --network none the container has only lo, nothing to forward to');
  }
  const seen = new Set<number>();
  for (const { hostPort } of c.publish) {
    if (seen.has(hostPort)) throw new UsageError(`--publish: host port ${hostPort} is given twice; each host port can go to one container port`);
    seen.add(hostPort);
  }
  const listening = listeningTcpPorts();
  for (const { hostPort, containerPort } of c.publish) {
    if (listening.has(hostPort)) {
      throw new UsageError(`--publish ${hostPort}:${containerPort}: port ${hostPort} is already in use on the host (a program listens on it: ss -ltnp 'sport = :${hostPort}'); choose another HOSTPORT`);
    }
  }
}

/** A host port another container of this namespace publishes already (checked under the network lock). */
export function checkNotPublishedBy(c: Container, others: readonly { container: string; hostPorts: readonly number[] }[]): void {
  for (const { hostPort, containerPort } of c.publish) {
    const owner = others.find((o) => o.hostPorts.includes(hostPort));
    if (owner) {
      throw new UsageError(`--publish ${hostPort}:${containerPort}: port ${hostPort} is already published by container ${owner.container}; choose another HOSTPORT`);
    }
  }
}
