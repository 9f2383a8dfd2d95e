/**
 * Without root, the kernel lets a process write only one line into a map:
 * its own ID. Rootless podman and docker map a whole range anyway, through
 * newuidmap(1) and newgidmap(1): small setuid-root programs (Debian package
 * `uidmap`, from shadow) that check the request against /etc/subuid and
 * /etc/subgid, then write the map with their own privilege.
 * https://man7.org/linux/man-pages/man1/newuidmap.1.html
 */
import { execFileSync } from 'node:child_process';
import type { IdMapping } from '../runtime/container.ts';
import { UsageError } from '../runtime/errors.ts';
import { ownId, spell, type IdKind } from './id-maps.ts';
import { grantedRanges, grantsFile, userName } from './subordinate-ids.ts';

/** Asks newuidmap (or newgidmap) to write `maps` for process `pid`; one clear line if it cannot be done. */
export function newIdMap(kind: IdKind, pid: number, maps: readonly IdMapping[]): void {
  checkGranted(kind, maps);
  const helper = kind === 'uid' ? 'newuidmap' : 'newgidmap';
  const args = [String(pid), ...maps.flatMap((m) => [m.inside, m.outside, m.count].map(String))];
  try {
    execFileSync(helper, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') {
      throw new UsageError(`${helper} is needed to map more than your own ${kind} without root (the ranges ${grantsFile(kind)} grants you): apt-get install uidmap`);
    }
    const said = e.stderr?.toString().trim().split('\n')[0] ?? e.message;
    throw new UsageError(`${helper} ${args.join(' ')} failed: ${said}`);
  }
}

/** Every host range must be the runner's own ID or inside one of its grants — checked here so the error can say which. */
function checkGranted(kind: IdKind, maps: readonly IdMapping[]): void {
  const granted = grantedRanges(kind);
  for (const m of maps) {
    const own = m.count === 1 && m.outside === ownId(kind);
    const inGrant = granted.some((g) => m.outside >= g.first && m.outside + m.count <= g.first + g.count);
    if (inGrant && m.inside === 0) {
      // Allowed by newuidmap, but container root must own the container's /tmp on the host (prepareHost
      // chowns it there), and only root may chown to an ID other than its own.
      const file = grantsFile(kind);
      throw new UsageError(
        `--${kind}map ${spell(m)}: without root, ${kind} 0 inside must be your own ${kind} ${ownId(kind)} (the runner cannot chown the container's /tmp to host ${kind} ${m.outside}); ` +
          `map the IDs ${file} grants you to the others, through ${kind === 'uid' ? 'newuidmap' : 'newgidmap'}: --${kind}map 0:${ownId(kind)}:1 --${kind}map 1:${m.outside}:${Math.min(m.count, 65536)}`,
      );
    }
    if (own || inGrant) continue;
    const grants = granted.length > 0 ? granted.map((g) => `${g.first}-${g.first + g.count - 1}`).join(', ') : 'nothing';
    const ids = m.count === 1 ? `${kind} ${m.outside} is` : `${kind}s ${m.outside}-${m.outside + m.count - 1} are`;
    throw new UsageError(
      `--${kind}map ${spell(m)}: host ${ids} not yours to map ` +
        `(yours: ${kind} ${ownId(kind)}, and what ${grantsFile(kind)} grants ${userName()}: ${grants})`,
    );
  }
}
