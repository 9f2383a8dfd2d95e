/**
 * Everything the workbook may leave on the machine, found by looking at the
 * machine itself (not at our own records, which a crash can lose). Used by
 * `npm run clean` to remove it and by the selftest to prove there is none.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CACHE_DIR, LIB_DIR, ROOTFS, RUN_DIR } from '../paths.ts';
import { detectCgroups } from '../cgroups/index.ts';
import { devicesParent } from '../security/devices-cgroup.ts';
import { mountsUnder } from '../runtime/leaks.ts';
import { findNetworkLeftovers } from '../network/leftovers.ts';
import { isAlive, listStates, runnerLives } from '../runtime/state.ts';
import { CONTAINERS_DIR } from '../image/store.ts';
import { listRecords, recordDir, runningStates } from '../lifecycle/records.ts';

export interface Leftovers {
  mounts: string[];
  processes: { pid: number; what: string }[];
  states: string[];
  tempPaths: string[];
  cgroups: string[];
  /** Chapter 5: links, iptables rules, records of sysctls and tables, and leases of the workbook's network that no running container owns. */
  network: string[];
  /** Chapter 4: containers' upper/work/merged directories whose runner is gone (see leftoverContainerDirs). */
  containerDirs: string[];
  /** Chapter 8: records and logs of detached containers that no longer run (kept for `logs` and `rm`). */
  detached: string[];
}

export function findLeftovers(): Leftovers {
  return {
    mounts: mountsUnder(ROOTFS),
    processes: ourProcesses(),
    // Containers whose runner still runs are not leftovers (another run in progress); the selftest checks that none runs.
    states: listStates().filter((s) => !runnerLives(s)).map((s) => `${s.container.id} (runner ${s.runner}, gone)`),
    tempPaths: tempPaths(),
    cgroups: ourCgroups(),
    network: findNetworkLeftovers(),
    containerDirs: leftoverContainerDirs(),
    detached: stoppedDetached(),
  };
}

export function isClean(l: Leftovers): boolean {
  return Object.values(l).every((list) => list.length === 0);
}

/**
 * Processes started by a container stage, or living in the rootfs (a chroot's
 * orphans from chapter 1) — except those of containers whose runner still
 * lives: another run in progress is not a leftover.
 */
function ourProcesses(): { pid: number; what: string }[] {
  const found: { pid: number; what: string }[] = [];
  const liveRunners = new Set(listStates().filter(runnerLives).map((s) => s.runner));
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid || descendsFrom(pid, liveRunners)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (cmdline.includes(path.join(CACHE_DIR, 'child-stage-')) || cmdline.includes(path.join(CACHE_DIR, 'nsexec-')) || cmdline.includes(path.join(CACHE_DIR, 'nsenter-'))) {
        found.push({ pid, what: cmdline });
        continue;
      }
      const root = fs.readlinkSync(`/proc/${pid}/root`);
      if (root === ROOTFS || root.startsWith(`${ROOTFS}/`)) found.push({ pid, what: `${cmdline} (root ${root})` });
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/**
 * Temporary paths name the process that made them — /tmp/workbook-marker-<pid>-…,
 * /var/lib/workbook/rootfs.tmp-<pid> — so only those of dead processes are leftovers;
 * a run still in progress keeps its own.
 */
function tempPaths(): string[] {
  const tmp = os.tmpdir();
  const inTmp = safeList(tmp).filter((n) => n.startsWith('workbook-')).map((n) => path.join(tmp, n));
  const inLib = safeList(LIB_DIR).filter((n) => n.includes('.tmp-')).map((n) => path.join(LIB_DIR, n));
  const inRun = safeList(path.join(RUN_DIR, 'containers')).filter((n) => n.endsWith('.tmp')).map((n) => path.join(RUN_DIR, 'containers', n));
  return [...inTmp, ...inLib, ...inRun].filter((p) => {
    if (path.basename(p).startsWith('workbook-run-')) return false; // a rootless user's RUN_DIR: its states say what lives
    const owner = /(?:\.tmp-|^workbook-[a-z]+-)(\d+)/.exec(path.basename(p))?.[1];
    return owner === undefined || !isAlive(Number(owner));
  });
}

/**
 * cgroups named workbook-* where the workbook makes them (below the runner's
 * own on v1; on v2 the delegating parent, see toolkit/cgroups/layout.ts),
 * except those of containers whose runner still lives.
 */
function ourCgroups(): string[] {
  const live = new Set(listStates().filter((s) => runnerLives(s)).map((s) => `workbook-${s.container.id}`));
  let parents: string[];
  try {
    const layout = detectCgroups();
    parents = layout.version === 2 ? [layout.parent] : [...new Set(Object.values(layout.parents))];
  } catch {
    return []; // no cgroups with our controllers: then we made none
  }
  const devices = devicesParent(); // chapter 7's devices cgroups (v1)
  if (devices !== null) parents.push(devices);
  return parents.flatMap((dir) => safeList(dir).filter((n) => n.startsWith('workbook-') && !live.has(n)).map((n) => path.join(dir, n)));
}

/**
 * Chapter 4: containers' own directories (upper, work, merged) in
 * CONTAINERS_DIR whose runner is gone — a crash, an unfinished cleanup step,
 * or kept on purpose with --keep. Those of running containers are not listed.
 */
export function leftoverContainerDirs(): string[] {
  const running = new Set(listStates().filter((s) => runnerLives(s)).map((s) => s.container.id));
  return safeList(CONTAINERS_DIR).filter((id) => !running.has(id)).map((id) => path.join(CONTAINERS_DIR, id));
}

/** Chapter 8: RUN_DIR/lifecycle/ID folders of detached containers that are not running (stopped, not yet rm'd). */
export function stoppedDetached(): string[] {
  const running = new Set(runningStates().map((s) => s.container.id));
  return listRecords().filter((r) => !running.has(r.id)).map((r) => recordDir(r.id));
}

/** Whether `pid` or one of its ancestors (by /proc/PID/stat's ppid) is in `ancestors`. */
function descendsFrom(pid: number, ancestors: Set<number>): boolean {
  for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
    if (ancestors.has(p)) return true;
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return false;
    }
  }
  return false;
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
