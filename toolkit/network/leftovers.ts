/**
 * What the workbook's network may leave on the host when a runner crashes
 * or a chapter's cleanup is unfinished, found by looking at the host itself:
 * links named wb0 / wbh-N / wbc-N, iptables rules tagged "workbook:…",
 * remembered sysctl values, and leases whose runner is gone. Anything that
 * belongs to a container still running is not a leftover. Each item is one
 * readable line; removeNetworkLeftover() takes it back and undoes it.
 */
import fs from 'node:fs';
import { CommandError } from './command.ts';
import { deleteLinkIfPresent, listLinks } from './links.ts';
import { BRIDGE, leaseFile, listLeases, liveLeases } from './leases.ts';
import { NETWORK_DIR, withNetworkLock } from './lock.ts';
import { currentNetns, netnsInode } from './netns.ts';
import { TAG, deleteSavedRule, ownerOf, savedWorkbookRules } from './iptables.ts';
import { dropTablesWeMade, tablesRecordFile } from './tables.ts';
import { restoreSysctls, savedSysctlsFile } from './sysctl.ts';
import { isAlive } from '../runtime/state.ts';

const LINK = /^(wbh|wbc)-(\d+)$/;

export function findNetworkLeftovers(): string[] {
  return withNetworkLock(() => {
    const live = liveLeases();
    const here = currentNetns();
    const bridgeInUse = live.some((l) => l.netns === here);
    const liveIndexes = new Set(live.map((l) => l.index));
    const liveIds = new Set(live.map((l) => l.container));

    const rules = savedWorkbookRules().filter((rule) => {
      const owner = ownerOf(rule)!;
      return owner === BRIDGE ? !bridgeInUse : !liveIds.has(owner);
    });
    const links = linkNames()
      .filter((name) => (name === BRIDGE ? !bridgeInUse : LINK.test(name) && !liveIndexes.has(Number(LINK.exec(name)![2]))));
    // Records of sysctls and tables to put back: this namespace's once its bridge is unused; another's once no live container is there.
    const records = safeList(NETWORK_DIR).flatMap((n) => {
      const match = /^(sysctl|tables)-(\w+)\.json$/.exec(n);
      if (!match) return [];
      const [, kind = '', inode = ''] = match;
      const left = inode === netnsInode(here) ? !bridgeInUse : !live.some((l) => netnsInode(l.netns) === inode);
      return left ? [{ kind, inode }] : [];
    });
    const leases = listLeases().filter((l) => !isAlive(l.runner));
    return [
      ...rules.map((r) => `iptables ${r}`),
      ...links.map((name) => `link ${name}`),
      ...records.map((r) => `${r.kind} ${r.inode} (${r.kind === 'sysctl' ? 'settings to put back' : 'tables the workbook made, to delete if empty'})`),
      ...leases.map((l) => `lease ${l.index} (${l.address}, container ${l.container}, runner ${l.runner} gone)`),
    ];
  });
}

export function removeNetworkLeftover(item: string): void {
  withNetworkLock(() => {
    const [kind = '', rest = ''] = [item.slice(0, item.indexOf(' ')), item.slice(item.indexOf(' ') + 1)];
    if (kind === 'iptables') deleteSavedRule(rest);
    else if (kind === 'link') deleteLinkIfPresent(rest);
    else if (kind === 'sysctl' || kind === 'tables') {
      const inode = rest.split(' ')[0]!;
      const file = kind === 'sysctl' ? savedSysctlsFile(inode) : tablesRecordFile(inode);
      if (inode !== netnsInode()) fs.rmSync(file, { force: true }); // another namespace: not ours to reach, or gone with what it held
      else if (kind === 'sysctl') restoreSysctls();
      else if (dropTablesWeMade(TAG).length === 0) fs.rmSync(file, { force: true });
    } else if (kind === 'lease') {
      // Only if its runner is still gone: the number may have been claimed again since.
      const index = Number(rest.split(' ')[0]);
      const lease = listLeases().find((l) => l.index === index);
      if (lease && !isAlive(lease.runner)) fs.rmSync(leaseFile(index), { force: true });
    } else throw new Error(`not a network leftover: ${item}`);
  });
}

/** Link names here; none if iproute2 is not installed (then the workbook made none either). */
function linkNames(): string[] {
  try {
    return listLinks().map((l) => l.ifname);
  } catch (error) {
    if (error instanceof CommandError && error.status === null) return [];
    throw error;
  }
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
