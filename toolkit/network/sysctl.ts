/**
 * Kernel settings of a network namespace, as `sysctl -w` sets them: files
 * under /proc/sys/net (proc(5), sysctl(8)). net.ipv4.ip_forward = 1 makes the
 * host a router; net.ipv4.conf.DEV.route_localnet = 1 lets packets from
 * 127.0.0.1 be routed out of DEV. They belong to the network namespace of
 * the thread that opens the file.
 *
 * The workbook must leave the host as it found it, so setSysctl() remembers
 * each setting's old value (once) in RUN_DIR/network/sysctl-<netns>.json,
 * and restoreSysctls() writes them back when the last container is gone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NETWORK_DIR } from './lock.ts';
import { netnsInode } from './netns.ts';

/** "net.ipv4.ip_forward" → "/proc/sys/net/ipv4/ip_forward". */
export function sysctlPath(name: string): string {
  return path.join('/proc/sys', ...name.split('.'));
}

export function readSysctl(name: string): string {
  return fs.readFileSync(sysctlPath(name), 'utf8').trim();
}

/** The record of old values for a network namespace (default: the caller's). */
export function savedSysctlsFile(inode: string = netnsInode()): string {
  return path.join(NETWORK_DIR, `sysctl-${inode}.json`);
}

export function setSysctl(name: string, value: string): void {
  const file = savedSysctlsFile();
  const saved = readSaved(file);
  if (!(name in saved)) {
    saved[name] = readSysctl(name);
    fs.mkdirSync(NETWORK_DIR, { recursive: true, mode: 0o700 });
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(saved));
    fs.renameSync(`${file}.tmp`, file);
  }
  fs.writeFileSync(sysctlPath(name), value);
}

/** Writes every remembered value back and forgets them; returns "name=value" for each. */
export function restoreSysctls(): string[] {
  const file = savedSysctlsFile();
  const restored: string[] = [];
  for (const [name, value] of Object.entries(readSaved(file))) {
    try {
      fs.writeFileSync(sysctlPath(name), value);
      restored.push(`${name}=${value}`);
    } catch (error) {
      // A setting of a device that is gone already (net.ipv4.conf.wb0.*) went with it.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  fs.rmSync(file, { force: true });
  return restored;
}

function readSaved(file: string): Record<string, string> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}
