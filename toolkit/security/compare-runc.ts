/**
 * The same probe in runc (its unchanged `runc spec` defaults) and in chapter
 * 7's reference container, on the same busybox rootfs, side by side: the
 * capability sets, NoNewPrivs, Seccomp, the escape battery, /proc/sys, the
 * masks and /dev. Prints figures; grades nothing.
 *
 *   node --import tsx toolkit/security/compare-runc.ts [-- chapter 7 options, e.g. --cap-drop ALL]
 *
 * runc's bundle lives in a temporary directory, removed at the end with the
 * container (`runc delete --force`). Needs root and runc (apt-get install runc).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT, ROOTFS } from '../paths.ts';
import { ensureRootfs } from '../rootfs/build.ts';

const PROBE = [
  'grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status',
  'escape-probe',
  'echo "dev $(ls /dev | tr "\\n" " ")"',
  'awk \'$5=="/proc/sys" || $5=="/proc/kcore" || $5=="/proc/keys" || $5=="/sys" || $5=="/" {print "mount " $5 " " $6}\' /proc/self/mountinfo',
].join('; ');

function parse(out: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of out.trim().split('\n')) {
    const m = /^([A-Za-z_]+):\s+(.*)$/.exec(line) ?? /^(mount \S+|dev|\S+) (.*)$/.exec(line);
    if (m) rows.set(m[1]!, m[2]!.trim());
  }
  return rows;
}

function runc(rootfs: string): string {
  const bundle = fs.mkdtempSync(path.join(os.tmpdir(), `workbook-runc-${process.pid}-`));
  const id = `workbook-compare-${process.pid}`;
  try {
    execFileSync('runc', ['spec'], { cwd: bundle });
    const config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
    config.root.path = rootfs;
    config.process.terminal = false;
    config.process.args = ['/bin/sh', '-c', PROBE];
    fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
    const ran = spawnSync('runc', ['run', '--bundle', bundle, id], { encoding: 'utf8' });
    if (ran.error) throw new Error(`runc: ${ran.error.message} (apt-get install runc)`);
    return ran.stdout;
  } finally {
    spawnSync('runc', ['delete', '--force', id], { stdio: 'ignore' });
    fs.rmSync(bundle, { recursive: true, force: true });
  }
}

function chapter7(options: string[]): string {
  const ran = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT, 'toolkit/cli/chapter.ts'), '7', '--solution', ...options, '--', '/bin/sh', '-c', PROBE], { encoding: 'utf8' });
  if (ran.status !== 0) throw new Error(`chapter 7: exit ${ran.status}: ${ran.stderr.trim()}`);
  return ran.stdout;
}

const extra = process.argv.slice(2).filter((a) => a !== '--');
ensureRootfs(ROOTFS, (line) => console.error(line));
const rootfs = fs.realpathSync(ROOTFS);
const a = parse(runc(rootfs));
const b = parse(chapter7(extra));
const keys = [...new Set([...a.keys(), ...b.keys()])];
const width = Math.max(...keys.map((k) => k.length));
console.log(`${''.padEnd(width)}  ${'runc spec'.padEnd(40)}  chapter 7${extra.length ? ` (${extra.join(' ')})` : ''}`);
for (const k of keys) console.log(`${k.padEnd(width)}  ${(a.get(k) ?? '-').padEnd(40)}  ${b.get(k) ?? '-'}`);
