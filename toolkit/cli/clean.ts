/**
 * npm run clean — removes whatever a crashed or killed run left: processes
 * of ours, mounts under the rootfs, host state of stale containers (each
 * stack's cleanup steps), cgroups, temporary files and old stage bundles.
 */
import fs from 'node:fs';
import path from 'node:path';
import chalk from 'chalk';
import { CACHE_DIR } from '../paths.ts';
import { describeError } from '../runtime/errors.ts';
import { detachLeakedMounts } from '../runtime/leaks.ts';
import { ROOTFS } from '../paths.ts';
import { listStates, runnerLives, reapStaleContainers } from '../runtime/state.ts';
import { findLeftovers, isClean } from './leftovers.ts';
import { removeNetworkLeftover } from '../network/leftovers.ts';
import { requireRoot } from './root.ts';
import { rootlessStates } from './rootless-states.ts';
import { killIf } from '../runtime/identity.ts';
import { listRecords } from '../lifecycle/records.ts';
import { stopContainer } from '../lifecycle/stop.ts';
import { refuseHostRootfs } from '../runtime/rootfs-check.ts';

/** Whether ROOTFS (WORKBOOK_ROOTFS may move it) is a directory of its own, not the host's "/" or /dev. */
function isOwnRootfs(dir: string): boolean {
  try {
    refuseHostRootfs(dir);
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<number> {
  requireRoot();
  const say = (line: string) => console.log(`${chalk.yellow('cleaned:')} ${line}`);
  // Detached containers (chapter 8) have no terminal to be stopped from: clean stops them, as `docker rm -f` would.
  const detached = new Set(listRecords().map((r) => r.id));
  for (const state of listStates()) {
    if (!runnerLives(state)) continue;
    if (detached.has(state.container.id)) {
      await stopContainer(state, 5);
      say(`detached container ${state.container.name} (${state.container.id}): stopped`);
    } else {
      console.log(chalk.dim(`left alone: container ${state.container.id}, its runner (${state.runner}) is still running`));
    }
  }
  await reapStaleContainers(say);
  for (const p of findLeftovers().processes) {
    // Only if it is still the process found (its PID may be another's by now): pidfd, then a second look.
    const still = () => {
      try {
        const cmd = fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
        return p.what === cmd || p.what.startsWith(`${cmd} (root `);
      } catch {
        return false;
      }
    };
    if (killIf(p.pid, still)) say(`process ${p.pid} ${p.what}`);
  }
  // Mounts under the workbook's own rootfs while no run uses it: a killed run's leaks (a live run's are its own).
  const inUse = listStates().some((s) => runnerLives(s) && s.container.rootfs === ROOTFS);
  if (!inUse && isOwnRootfs(ROOTFS)) detachLeakedMounts(ROOTFS, [], (line) => say(line));
  const left = findLeftovers();
  for (const dir of left.cgroups) {
    try {
      fs.rmdirSync(dir);
      say(`cgroup ${dir}`);
    } catch (error) {
      console.error(`${chalk.red('workbook:')} rmdir("${dir}"): ${(error as NodeJS.ErrnoException).code} (tasks still inside?)`);
    }
  }
  for (const item of left.network) {
    removeNetworkLeftover(item);
    say(item);
  }
  for (const dir of left.containerDirs) {
    detachLeakedMounts(dir, [], (line) => say(line)); // never delete through a mount (the directory is the workbook's)
    fs.rmSync(dir, { recursive: true, force: true });
    say(`container directory ${dir}`);
  }
  for (const dir of left.detached) {
    fs.rmSync(dir, { recursive: true, force: true });
    say(`record and log of stopped container ${dir}`);
  }
  for (const p of left.tempPaths) {
    fs.rmSync(p, { recursive: true, force: true });
    say(p);
  }
  // Chapter builds (toolkit/build/cache.mjs) are rebuilt on demand; drop all but the newest few.
  // A build whose folder is gone is simply built again: its record's check finds it missing.
  const builds = fs.existsSync(CACHE_DIR)
    ? fs.readdirSync(CACHE_DIR, { withFileTypes: true }).filter((e) => e.isDirectory() && /^(child-stage|chapter)-/.test(e.name))
    : [];
  const byAge = builds.map((e) => path.join(CACHE_DIR, e.name)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  for (const old of byAge.slice(20)) fs.rmSync(old, { recursive: true, force: true });

  const others = rootlessStates();
  for (const o of others) {
    console.log(chalk.yellow(`not touched: ${o.count} state file(s) of rootless runs by ${o.user} in ${o.dir} (theirs to clean: npm run clean as ${o.user})`));
  }
  const after = findLeftovers();
  if (!isClean(after)) {
    console.error(`${chalk.red('workbook:')} still left: ${JSON.stringify(after)}`);
    return 1;
  }
  if (others.length > 0) {
    console.log(chalk.green('nothing of root\'s runs is left on this machine; the rootless runs above are their users\''));
    return 0;
  }
  console.log(chalk.green('nothing of the workbook is left on this machine'));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`${chalk.red('workbook:')} ${describeError(error)}`);
    process.exit(1);
  },
);
