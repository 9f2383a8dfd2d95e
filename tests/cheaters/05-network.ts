/**
 * Chapter 5's cheater: no network namespace. The container shares the host's
 * network: nothing is made on the host, no bridge, no veth, no rule. Inside,
 * before the exec, it rewrites the command so that its output looks
 * networked: the published port is served on the host's own port, and
 * `ip … show dev eth0` prints a made-up address. Every graded check must fail
 * on it: they read the container's /proc/PID/ns/net, and its links, addresses
 * and routes through nsenter, from the host.
 */
import type { Container } from '../../toolkit/runtime/container.ts';
import { checkPublish } from '../../toolkit/network/ports.ts';

export function namespaces(_c: Container): number {
  return 0; // no CLONE_NEWNET
}

export function connectNetwork(c: Container, _pid: number): Container {
  checkPublish(c);
  return c;
}

export function configureNetwork(c: Container): void {
  const port = c.publish[0]?.hostPort;
  const fake = (arg: string) => {
    let out = arg.replaceAll('ip -o -4 address show dev eth0', 'echo "2: eth0    inet 10.200.1.2/24 brd 10.200.1.255 scope global eth0"');
    if (port !== undefined) out = out.replaceAll('httpd -p 80', `httpd -p ${port}`);
    return out;
  };
  const command = c.command as string[]; // the array the child stage execs after the setup
  command.splice(0, command.length, ...command.map(fake));
}

export function disconnectNetwork(_c: Container): void {}
