/**
 * Chapter 6 — user namespaces. The checks judge the security property from
 * the host: the container's user namespace (/proc/PID/ns/user, not the
 * host's), its maps as the host reads them (/proc/PID/uid_map, gid_map,
 * setgroups), which uid the container's processes and files really have, and
 * what root inside can and cannot do to the host; then the same chapter run
 * by an ordinary user, without root (the suite makes one for that and removes
 * it afterwards). What the command prints is only supporting evidence.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { check, shown } from '../support/check.ts';
import { described, runChapter, Running, TIME_SCALE, type Ran } from '../support/container.ts';
import { PROJECT, ROOTFS, RUN_DIR } from '../../toolkit/paths.ts';
import type { ContainerState } from '../../toolkit/runtime/state.ts';
import { containerDirs } from '../../toolkit/image/containers.ts';
import { containerTmpDir, mappedRange } from '../../toolkit/userns/index.ts';
import { workbookCgroups } from '../support/cgroups.ts';
import { hostNamespace, processesWith, settle } from '../support/host.ts';
import { Observed, diagnose, hostnameOf, namespaceOf, nsPids } from '../support/observe.ts';

/** Mapped mode's default (toolkit/userns/mapped-range.ts): container 0 is host 1000000000 on a default system, a range no user owns. */
const MAPPED = mappedRange().outside;
/** The mapped checks stay off the host's network: chapter 5's bridge is graded in its own suite, on a scratch host. */
const NO_NET = ['--network', 'none'];
/** The ordinary user of the rootless checks, and the range /etc/subuid grants it while the suite runs. */
const USER = 'workbook-rootless';
const GRANT = { first: 400000, count: 65536 };

/** Why a container never reached its command: nsexec and the runner name the call that failed. */
const WHY: ReadonlyArray<readonly [RegExp, string]> = [
  [/setresuid\(0\): EINVAL/, 'uid 0 inside is not mapped, so nsexec cannot become root of its namespace: writeUidMap() writes "INSIDE OUTSIDE COUNT" lines, container uid 0 first, to /proc/PID/uid_map (TODO 6.2)'],
  [/setresgid\(0\): EINVAL/, 'gid 0 inside is not mapped, so nsexec cannot take it: writeGidMap() writes /proc/PID/gid_map the same way (TODO 6.3)'],
  [/gid_map[^\n]*EPERM/, 'the kernel refuses gid_map from a writer without CAP_SETGID over the parent namespace until /proc/PID/setgroups says "deny": write that first (TODO 6.3)'],
  [/(upper|work|merged|workbook-userns-)[^\n]*EACCES/, 'the container\'s root (a host uid of the mapped range) may not write its writable layer: ownWritableLayer() chowns it to hostId() of container 0 (TODO 6.4)'],
];
/** As root, the kernel refuses a uid_map only to a process still in the host's (initial) user namespace, or a second write. */
const WHY_AS_ROOT: ReadonlyArray<readonly [RegExp, string]> = [
  ...WHY,
  [/uid_map[^\n]*EPERM/, 'even root may not write the uid_map of a process in the host\'s user namespace — the initial one is never remapped: namespaces() returns CLONE_NEWUSER (TODO 6.1)'],
];
/** Without root, it refuses a map other than the user's own ID. */
const WHY_ROOTLESS: ReadonlyArray<readonly [RegExp, string]> = [
  ...WHY,
  [/uid_map[^\n]*EPERM/, 'the kernel refused the uid map: a map other than your own ID goes through newIdMap() (newuidmap), when canWriteIdMap() says no (TODO 6.2)'],
];

/** A map file as the host reads it, one normalised line per mapping ("0 1000000000 65536"). */
function mapOf(pid: number, file: 'uid_map' | 'gid_map' | 'setgroups'): string {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8').trim().split('\n').map(normal).join('; ');
  } catch {
    return '(gone)';
  }
}

/**
 * The container's process, from the host: a user namespace other than the
 * host's, with `uidMap` and `gidMap` in /proc/PID/uid_map and gid_map;
 * otherwise the check fails naming the step. Returns its PID.
 */
async function userNamespaceOf(o: Observed, uidMap: string, gidMap: string, label: string): Promise<number> {
  const expected = `${label}: the container's process in a user namespace of its own (/proc/PID/ns/user not the host's), uid_map "${uidMap}", gid_map "${gidMap}"`;
  if (o.pid === null) {
    check(false, { expected, seen: await o.failure(), hint: diagnose(await o.stderr(), WHY_AS_ROOT) });
    throw new Error('unreachable');
  }
  const userns = namespaceOf(o.pid, 'user');
  const uids = mapOf(o.pid, 'uid_map');
  const gids = mapOf(o.pid, 'gid_map');
  check(userns !== hostNamespace('user') && uids === uidMap && gids === gidMap, {
    expected,
    seen: `/proc/${o.pid}/ns/user ${userns} (the host's: ${hostNamespace('user')}); uid_map "${uids}"; gid_map "${gids}"`,
    hint: userns === hostNamespace('user')
      ? 'the container\'s process shares the host\'s user namespace, so its root is the host\'s root: namespaces() returns CLONE_NEWUSER (TODO 6.1)'
      : uids !== uidMap ? 'writeUidMap() writes idMapsFor(c, \'uid\') as "INSIDE OUTSIDE COUNT" lines to /proc/PID/uid_map (TODO 6.2)'
        : 'writeGidMap() writes idMapsFor(c, \'gid\') to /proc/PID/gid_map the same way (TODO 6.3)',
  });
  return o.pid;
}

/** Whether a process is in a user namespace of its own (not the host's) — evidence a cleanup check adds, so that it needs the chapter's wall. */
function ownUserNamespace(pid: number | undefined): boolean {
  return pid !== undefined && namespaceOf(pid, 'user') !== '(gone)' && namespaceOf(pid, 'user') !== hostNamespace('user');
}

describe('chapter 6: user namespaces', () => {
  test('the user namespace and its maps, from the host: /proc/PID/uid_map and gid_map hold the mapping; inside, id says root', async () => {
    const [byDefault, given] = await Promise.all([
      Observed.start(6, NO_NET, 'id'),
      Observed.start(6, [...NO_NET, '--uidmap', '0:200000:65536', '--gidmap', '0:300000:65536'], 'id'),
    ]);
    try {
      await userNamespaceOf(byDefault, `0 ${MAPPED} 65536`, `0 ${MAPPED} 65536`, 'by default');
      await userNamespaceOf(given, '0 200000 65536', '0 300000 65536', 'with --uidmap 0:200000:65536 --gidmap 0:300000:65536');
      check([byDefault, given].every((o) => /^uid=0\(root\) gid=0\(root\)/.test(o.run.stdout)), {
        expected: 'inside, id says uid=0(root) gid=0(root)',
        seen: `by default: ${shown(byDefault.run.stdout)}; given: ${shown(given.run.stdout)}`,
        hint: 'nsexec becomes uid 0 and gid 0 once the maps are written: container 0 must be in both (TODO 6.2, TODO 6.3)',
      });
    } finally {
      await Promise.all([byDefault.stop(), given.stop()]);
    }
  });

  test('root inside has every capability, but only over what its user namespace owns', async () => {
    const o = await Observed.start(6, [...NO_NET, '--hostname', 'before'],
      'hostname renamed; mknod /tmp/null c 1 3 2>/dev/null; echo "mknod=$?"; ip link add wb-ch6 type veth peer name wb-ch6p 2>/dev/null; echo "ip=$?"');
    try {
      const pid = await userNamespaceOf(o, `0 ${MAPPED} 65536`, `0 ${MAPPED} 65536`, 'by default');
      // Every capability this kernel knows: bits 0…cap_last_cap (capabilities(7)).
      const all = (1n << BigInt(Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8')) + 1)) - 1n;
      const capEff = /^CapEff:\s*([0-9a-f]+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      const hostname = hostnameOf(pid);
      const link = spawnSync('nsenter', [`--net=/proc/${pid}/ns/net`, 'ip', '-o', 'link', 'show', 'wb-ch6'], { encoding: 'utf8' }).status === 0;
      const upper = containerOf(o);
      const node = upper ? fs.existsSync(path.join(containerDirs(upper).upper, 'tmp/null')) : true;
      check(capEff !== undefined && BigInt(`0x${capEff}`) === all && hostname === 'renamed' && link && !node, {
        expected: `from the host: CapEff ${all.toString(16)} in /proc/${pid}/status (every capability); its UTS namespace says "renamed", its network namespace has wb-ch6 (both owned by its user namespace); no /tmp/null in its upper directory (mknod needs CAP_MKNOD in the initial user namespace)`,
        seen: `CapEff ${capEff ?? '?'}; hostname ${hostname}; wb-ch6 ${link ? 'there' : 'missing'}; /tmp/null ${node ? 'made' : 'not made'}; stdout: ${shown(o.run.stdout)}`,
        hint: 'a process that is root of a new user namespace has all capabilities there; the kernel checks them against the user namespace owning each object (user_namespaces(7)): the other namespaces must be made after it, by nsexec (TODO 6.1)',
      });
    } finally {
      await o.stop();
    }
  });

  test('seen from the host, the container\'s process and the file it creates belong to the unprivileged uid', async () => {
    const run = new Running(6, [...NO_NET, '/bin/sh', '-c', 'trap "exit 0" TERM; touch /tmp/made-inside; echo ready; sleep 30 & wait']);
    const ready = await run.waitFor('ready');
    const state = ready ? stateOf(RUN_DIR, run.process.pid!) : undefined;
    const own = ownUserNamespace(state?.pid);
    const uids = state?.pid !== undefined ? idsOf(state.pid) : 'unknown';
    const file = state ? ownerOf(path.join(containerDirs(state.container).upper, 'tmp/made-inside')) : 'unknown';
    const upper = state ? ownerOf(containerDirs(state.container).upper) : 'unknown';
    run.kill('SIGTERM');
    const ran = await run.done;
    const expected = `${MAPPED} ${MAPPED}`;
    check(ready && own && uids === expected && file === expected, {
      expected: `the container's PID 1, in a user namespace of its own, runs as uid and gid ${MAPPED} on the host (/proc/PID/status), and /tmp/made-inside, created inside, is owned by ${MAPPED}:${MAPPED} in the overlay's upper directory`,
      seen: ready ? `own user namespace: ${own}; process uid gid: ${uids}; file owner: ${file}; upper/ owned by ${upper}` : `the container never printed "ready": ${described(ran)}`,
      hint: !ready ? diagnose(ran.stderr, WHY_AS_ROOT)
        : !own ? 'the container\'s process shares the host\'s user namespace: namespaces() returns CLONE_NEWUSER (TODO 6.1)'
          : uids !== expected ? `writeUidMap() maps 0 to mappedRange() (host ${MAPPED}) by default (TODO 6.2)`
            : `upper/ is owned by ${upper}, not by container root's host IDs ${MAPPED}:${MAPPED}: ownWritableLayer() chowns upper/ and work/ to hostId() of 0 (TODO 6.4)`,
    });
  });

  test('root inside cannot write, chmod or chown a host file owned by the host\'s root, though it is mounted in', async () => {
    // A copy of the rootfs, so a wrong map (container root = host root) damages nothing shared.
    const dir = fs.mkdtempSync(`/tmp/workbook-copy-${process.pid}-`); // named after us: `npm run clean` leaves it while we live
    try {
      fs.chmodSync(dir, 0o755); // container root (host ${MAPPED}) must reach it to bind-mount it
      const rootfs = path.join(dir, 'rootfs');
      execFileSync('cp', ['-a', ROOTFS, rootfs]);
      const secret = path.join(rootfs, 'etc/host-secret');
      fs.writeFileSync(secret, 'host root\'s file\n', { mode: 0o644 });
      const ran = await runChapter(6, [...NO_NET, '--rootfs', rootfs, '/bin/sh', '-c',
        'ls -ln /etc/host-secret; echo changed > /etc/host-secret; echo "write=$?"; chmod 666 /etc/host-secret; echo "chmod=$?"; chown 0:0 /etc/host-secret; echo "chown=$?"']);
      const after = fs.statSync(secret);
      const unchanged = fs.readFileSync(secret, 'utf8') === 'host root\'s file\n' && (after.mode & 0o777) === 0o644 && after.uid === 0;
      check(ran.code === 0 && /write=[1-9]/.test(ran.stdout) && /chmod=[1-9]/.test(ran.stdout) && /chown=[1-9]/.test(ran.stdout) && /\s65534\s+65534\s/.test(ran.stdout) && unchanged, {
        expected: 'inside, the file shows as 65534 65534 (host root is not mapped) and write, chmod and chown all fail; on the host it is unchanged',
        seen: `${described(ran)}, stdout: ${shown(ran.stdout)}; on the host: ${unchanged ? 'unchanged' : `changed (mode ${(after.mode & 0o777).toString(8)}, uid ${after.uid})`}`,
        hint: 'the map must not include host uid 0: root inside has CAP_DAC_OVERRIDE only over files whose owner is mapped in its namespace (TODO 6.2)',
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('SIGKILL of the runner leaves no container process; the next run removes its writable layer', async () => {
    const tag = `${41 + Math.floor(Math.random() * 1000) / 1000}`;
    const run = new Running(6, [...NO_NET, '/bin/sh', '-c', `sleep ${tag} & echo ready; sleep ${tag}`]);
    const ready = await run.waitFor('ready');
    const state = ready ? stateOf(RUN_DIR, run.process.pid!) : undefined;
    const own = ownUserNamespace(state?.pid);
    run.kill('SIGKILL');
    await run.done;
    const left = await settle(() => processesWith(`sleep ${tag}`), (v) => v.length === 0);
    const next = await runChapter(6, [...NO_NET, 'true']);
    const tmpLeft = state !== undefined && fs.existsSync(containerDirs(state.container).dir);
    check(ready && state !== undefined && own && left.length === 0 && next.code === 0 && !tmpLeft, {
      expected: 'a container in a user namespace of its own; the two sleeps are gone once the runner is killed, and the next run removes the dead runner\'s container directory (upper, work, merged)',
      seen: ready ? `own user namespace: ${own}; processes left: ${left.length}; next run: ${described(next)}; container directory left: ${tmpLeft}` : 'the container never printed "ready"',
      hint: ready && !own ? 'the container\'s process shares the host\'s user namespace: namespaces() returns CLONE_NEWUSER (TODO 6.1)'
        : 'the cleanup steps work from the Container alone (removeWritableLayer, TODO 4.4); nsexec and PID 1 die with the runner (PR_SET_PDEATHSIG)',
    });
  });

  test('the whole stack leaves nothing — cgroup, network, overlay, state, processes — after a normal end, a SIGKILL of the container and a SIGKILL of the runner', async () => {
    const port = 18200 + Math.floor(Math.random() * 500);
    const leftOf = (id: string) => {
      const rules = execFileSync('iptables-save', { encoding: 'utf8' }).split('\n').filter((l) => l.includes(`workbook:${id}`));
      const cgroups = workbookCgroups().filter((d) => d.endsWith(`workbook-${id}`));
      const files = [containerDirs({ id }).dir, path.join(RUN_DIR, 'containers', `${id}.json`)].filter((f) => fs.existsSync(f));
      return [...rules.map((r) => `rule ${r}`), ...cgroups.map((d) => `cgroup ${d}`), ...files.map((f) => `file ${f}`)];
    };
    const seen: string[] = [];
    for (const ending of ['normal end', 'SIGKILL of the container', 'SIGKILL of the runner'] as const) {
      const tag = `${51 + Math.floor(Math.random() * 1000) / 1000}`;
      const run = new Running(6, ['--memory', '64m', '--pids', '64', '--image', 'web', '--publish', `${port}:80`, '/bin/sh', '-c',
        `trap "exit 0" TERM; httpd -p 80 -h /var/www; echo ready; sleep ${tag} & wait`]);
      const ready = await run.waitFor('ready');
      const state = ready ? stateOf(RUN_DIR, run.process.pid!) : undefined;
      if (ready && !ownUserNamespace(state?.pid)) seen.push(`${ending}: the container's process is in the host's user namespace`);
      if (ending === 'normal end') run.kill('SIGTERM');
      else if (ending === 'SIGKILL of the container' && state?.pid !== undefined) process.kill(state.pid, 'SIGKILL');
      else run.kill('SIGKILL');
      await run.done;
      if (ending === 'SIGKILL of the runner') await runChapter(6, [...NO_NET, 'true']); // the next run reaps a dead runner's container
      const procs = await settle(() => processesWith(`sleep ${tag}`), (v) => v.length === 0);
      const left = state ? await settle(() => leftOf(state.container.id), (v) => v.length === 0) : ['(the container never printed "ready")'];
      seen.push(...[...left, ...procs.map((p) => `process ${p}`)].map((l) => `${ending}: ${l}`));
    }
    check(seen.length === 0, {
      expected: 'after each ending, no iptables rule, cgroup, container directory (upper, work, merged), state file or process of that container',
      seen: shown(seen.join('\n')),
      hint: 'every cleanup step runs after every ending, from the Container alone: removeWritableLayer (TODO 4.4), removeContainerCgroup (TODO 3.5), disconnectNetwork (TODO 5.8)',
    });
  });

  describe('rootless: the same chapter, run by an ordinary user', () => {
    const user = new RootlessUser();
    beforeAll(() => user.setUp());
    afterAll(() => user.tearDown());

    test('an ordinary user runs the container: root inside, that user outside', async () => {
      const run = user.start(['/bin/sh', '-c', 'trap "exit 0" TERM; id; cat /proc/self/uid_map /proc/self/setgroups; echo "pid=$$"; hostname; touch /tmp/made-inside; echo ready; sleep 30 & wait']);
      const ready = await run.waitFor('ready');
      const state = ready ? stateOf(user.runDir, run.process.pid!) : undefined;
      const pid = state?.pid;
      const userns = pid !== undefined && ownUserNamespace(pid);
      const maps = pid !== undefined ? { uid: mapOf(pid, 'uid_map'), gid: mapOf(pid, 'gid_map'), setgroups: mapOf(pid, 'setgroups'), nspid: nsPids(pid).at(-1) } : undefined;
      const uids = pid !== undefined ? idsOf(pid) : 'unknown';
      const file = state ? ownerOf(path.join(containerTmpDir(state.container), 'made-inside')) : 'unknown';
      run.process.kill('SIGTERM');
      const ran = await run.done;
      const own = `${user.uid} ${user.gid}`;
      const mapsOk = maps !== undefined && maps.uid === `0 ${user.uid} 1` && maps.gid === `0 ${user.gid} 1` && maps.setgroups === 'deny' && maps.nspid === 1;
      check(ready && userns && mapsOk && /^uid=0\(root\) gid=0\(root\)/.test(ran.stdout) && uids === own && file === own, {
        expected: `as ${USER} (uid ${user.uid}), from the host: its own user namespace, /proc/PID/uid_map "0 ${user.uid} 1", gid_map "0 ${user.gid} 1", setgroups "deny", PID 1 in its PID namespace (NSpid); the process and its file are ${own}; inside, id says uid=0`,
        seen: ready ? `own user namespace: ${userns}; maps: ${JSON.stringify(maps)}; process ${uids}, file ${file}; stdout: ${shown(ran.stdout)}` : described(ran),
        hint: !ready ? diagnose(ran.stderr, WHY_ROOTLESS)
          : !userns ? 'the container\'s process shares the host\'s user namespace: namespaces() returns CLONE_NEWUSER (TODO 6.1)'
            : maps?.uid !== `0 ${user.uid} 1` ? 'without root, write only your own ID into uid_map (TODO 6.2)'
              : 'without root, "deny" goes to /proc/PID/setgroups before gid_map, which maps only your own gid (TODO 6.3)',
      });
    });

    test('a range granted in /etc/subuid is mapped through newuidmap and newgidmap', async () => {
      const maps = ['--uidmap', `0:${user.uid}:1`, '--uidmap', `1:${GRANT.first}:${GRANT.count}`, '--gidmap', `0:${user.gid}:1`, '--gidmap', `1:${GRANT.first}:${GRANT.count}`];
      const run = user.start([...maps, '/bin/sh', '-c', 'trap "exit 0" TERM; cat /proc/self/uid_map; touch /tmp/f && chown 1000:1000 /tmp/f && echo ready; sleep 30 & wait']);
      const ready = await run.waitFor('ready');
      const state = ready ? stateOf(user.runDir, run.process.pid!) : undefined;
      const uidMap = state?.pid !== undefined ? mapOf(state.pid, 'uid_map') : 'unknown';
      const file = state ? ownerOf(path.join(containerTmpDir(state.container), 'f')) : 'unknown';
      run.process.kill('SIGTERM');
      const ran = await run.done;
      const host = GRANT.first + 999;
      check(ready && uidMap.split('; ').includes(`1 ${GRANT.first} ${GRANT.count}`) && file === `${host} ${host}`, {
        expected: `/proc/PID/uid_map, read from the host, has "1 ${GRANT.first} ${GRANT.count}", and a file chowned to 1000:1000 inside is ${host}:${host} on the host`,
        seen: `${described(ran)}; uid_map from the host: ${uidMap}; file on the host: ${file}; stdout: ${shown(ran.stdout)}`,
        hint: 'without root, maps other than your own ID go through newIdMap() (newuidmap/newgidmap, which check /etc/subuid and /etc/subgid) (TODO 6.2, TODO 6.3)',
      });
    });

    test('a range the user does not own, or a missing newuidmap, is one clear line', async () => {
      const notOwned = await user.run(['--uidmap', '0:0:1', 'true']);
      const range = ['--uidmap', `0:${user.uid}:1`, '--uidmap', `1:${GRANT.first}:${GRANT.count}`, 'true'];
      const noHelper = await user.run(range, { PATH: '/nonexistent' });
      const rootOnly = await user.run(['true'], {}, 2);
      const subordinateRoot = await user.run(['--uidmap', `0:${GRANT.first}:${GRANT.count}`, 'true']);
      const ok = isOneLineError(notOwned, /not yours/) && isOneLineError(noHelper, /newuidmap/) && isOneLineError(rootOnly, /needs root/) &&
        isOneLineError(subordinateRoot, /newuidmap/) && /\/etc\/subuid/.test(subordinateRoot.stderr);
      check(ok, {
        expected: 'one line and a non-zero exit for: host uid 0 (not the user\'s to map), a range with newuidmap missing from PATH, chapter 2 without root, root mapped to a subordinate ID (naming newuidmap and /etc/subuid)',
        seen: `not owned: ${described(notOwned)}; no newuidmap: ${described(noHelper)}; chapter 2: ${described(rootOnly)}; subordinate root: ${described(subordinateRoot)}`,
        hint: 'for maps you cannot write yourself (canWriteIdMap false), call newIdMap(): it checks /etc/subuid and finds newuidmap (TODO 6.2)',
      });
    });

    describe('given: a rootless run leaves nothing (toolkit/userns, not graded)', () => {
      test('nothing is left behind: no process, /tmp directory, state or mount', async () => {
        const mapped = (uid: number) => uid === user.uid || (uid >= MAPPED && uid < MAPPED + 65536) || (uid >= 200000 && uid < 265536) || (uid >= GRANT.first && uid < GRANT.first + GRANT.count);
        // A runner's esbuild service ends on its own once the runner has gone: give it a moment —
        // on a loaded machine more than settle()'s 2 s (the selftest saw four still there); it ends as soon as they are gone.
        const procs = await settle(() => hostProcesses().filter((p) => mapped(p.uid)), (v) => v.length === 0, 10_000);
        const dirs = fs.readdirSync('/tmp').filter((n) => n.startsWith('workbook-userns-'));
        const states = [...statesIn(RUN_DIR), ...statesIn(user.runDir)].filter((s) => s.chapterFile.includes('06-user-namespaces'));
        const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes('workbook-userns-') || l.split(' ')[4]?.startsWith(ROOTFS));
        check(procs.length === 0 && dirs.length === 0 && states.length === 0 && mounts.length === 0, {
          expected: 'no process of a mapped uid, no /tmp/workbook-userns-*, no state file of chapter 6, no mount under the rootfs',
          seen: `processes: ${procs.map((p) => `${p.pid} (uid ${p.uid})`).join(', ') || 'none'}; dirs: ${dirs.join(' ') || 'none'}; states: ${states.length}; mounts: ${mounts.length}`,
          hint: 'removeOwnTmp() removes the container\'s /tmp; mounts made inside a user namespace stay there',
        });
      });
    });
  });
});

describe('given: the runner checks the maps and options (toolkit/userns, not graded)', () => {
  test('bad maps and other chapters\' options are refused with one line', async () => {
    const cases = [
      { args: ['--uidmap', '0:100000:10', '--uidmap', '5:200000:10', 'true'], want: /overlap/ },
      { args: ['--gidmap', '0:x:1', 'true'], want: /INSIDE:OUTSIDE:COUNT/ },
      { args: ['--uidmap', '1:100000:10', 'true'], want: /uid 0/ },
      { args: ['--rootfs', '/tmp', '--image', 'web', 'true'], want: /both name/ },
    ];
    const ran = await Promise.all(cases.map((c) => runChapter(6, c.args)));
    const wrong = cases.filter((c, i) => !isOneLineError(ran[i]!, c.want));
    check(wrong.length === 0, {
      expected: 'a non-zero exit and one line on stderr for each: overlapping ranges, a malformed map, a map without container uid 0, --rootfs with --image',
      seen: wrong.map((c) => `${c.args.slice(0, -1).join(' ')} → ${described(ran[cases.indexOf(c)]!)}`).join('; '),
      hint: 'nsexec becomes uid 0 inside, so container root must be mapped: writeIdMaps() should take its maps from idMapsFor(), which checks that',
    });
  });
});

/** The ordinary user of the rootless checks: made if missing, with a home, XDG folders and a /etc/subuid grant; undone after. */
class RootlessUser {
  uid = -1;
  gid = -1;
  home = '';
  private created = false;
  private granted = false;

  get runDir(): string {
    return path.join(this.home, 'run', 'workbook');
  }

  setUp(): void {
    try {
      execFileSync('id', ['-u', USER], { stdio: 'ignore' });
    } catch {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', '--comment', 'workbook rootless grading', USER]);
      this.created = true;
    }
    this.uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }));
    this.gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }));
    const grant = `${USER}:${GRANT.first}:${GRANT.count}`;
    const has = (file: string) => fs.existsSync(file) && fs.readFileSync(file, 'utf8').split('\n').includes(grant);
    if (!has('/etc/subuid') || !has('/etc/subgid')) {
      const range = `${GRANT.first}-${GRANT.first + GRANT.count - 1}`;
      execFileSync('usermod', ['--add-subuids', range, '--add-subgids', range, USER]);
      this.granted = true;
    }
    this.home = fs.mkdtempSync(`/tmp/workbook-home-${process.pid}-`);
    for (const dir of ['run', 'cache', 'tmp']) fs.mkdirSync(path.join(this.home, dir), { mode: 0o700 });
    execFileSync('chown', ['-R', `${this.uid}:${this.gid}`, this.home]);
    // Build nsexec for this user now, so the check that takes newuidmap out of PATH does not also lose cc.
    const built = this.spawnSync(['--import', 'tsx', '-e', "import('./toolkit/runtime/nsexec.ts').then((m) => m.nsexecBinary())"]);
    if (built.status !== 0) throw new Error(`${USER} cannot run the project's code (can it read ${PROJECT} and node_modules?): ${built.stderr}`);
  }

  tearDown(): void {
    if (this.home) fs.rmSync(this.home, { recursive: true, force: true });
    if (this.created) {
      execFileSync('userdel', [USER]); // also removes its /etc/subuid and /etc/subgid lines
    } else if (this.granted) {
      const range = `${GRANT.first}-${GRANT.first + GRANT.count - 1}`;
      execFileSync('usermod', ['--del-subuids', range, '--del-subgids', range, USER]);
    }
  }

  /** The user's environment: their own HOME, XDG folders and TMPDIR, so nothing lands in the shared /tmp. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: this.home,
      XDG_RUNTIME_DIR: path.join(this.home, 'run'),
      XDG_CACHE_HOME: path.join(this.home, 'cache'),
      TMPDIR: path.join(this.home, 'tmp'),
      // root's rootfs, wherever this run keeps it (WORKBOOK_LIB_DIR); the user's state stays in their own folders.
      WORKBOOK_ROOTFS: ROOTFS,
      // The file being graded (a mutant or a cheater, tests/mutants): the user runs it too, not the reference.
      ...(process.env.WORKBOOK_CHAPTER_FILE ? { WORKBOOK_CHAPTER_FILE: process.env.WORKBOOK_CHAPTER_FILE } : {}),
      ...extra,
    };
  }

  start(args: readonly string[], extraEnv: Record<string, string> = {}, chapter = 6): Running {
    return new Running(chapter, args, [], { uid: this.uid, gid: this.gid, env: this.env(extraEnv) });
  }

  async run(args: readonly string[], extraEnv: Record<string, string> = {}, chapter = 6): Promise<Ran> {
    const run = this.start(args, extraEnv, chapter);
    const timer = setTimeout(() => run.process.kill('SIGKILL'), 20000 * TIME_SCALE);
    const ran = await run.done;
    clearTimeout(timer);
    return ran;
  }

  private spawnSync(nodeArgs: string[]): { status: number | null; stderr: string } {
    try {
      execFileSync(process.execPath, nodeArgs, { cwd: PROJECT, uid: this.uid, gid: this.gid, env: this.env(), stdio: ['ignore', 'ignore', 'pipe'] });
      return { status: 0, stderr: '' };
    } catch (error) {
      const e = error as { status: number | null; stderr?: Buffer };
      return { status: e.status, stderr: e.stderr?.toString() ?? '' };
    }
  }
}

function normal(line: string | undefined): string {
  return (line ?? '').trim().split(/\s+/).join(' ');
}

function isOneLineError(ran: Ran, want: RegExp): boolean {
  const lines = ran.stderr.trim().split('\n');
  return ran.code !== 0 && ran.code !== null && lines.length === 1 && want.test(lines[0]!);
}

/** The state file (toolkit/runtime/state.ts) of the container whose runner is `runner`, once it names the container's PID. */
function stateOf(runDir: string, runner: number): ContainerState | undefined {
  return statesIn(runDir).find((s) => s.runner === runner && s.pid !== undefined);
}

function statesIn(runDir: string): ContainerState[] {
  const dir = path.join(runDir, 'containers');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((n) => n.endsWith('.json')).flatMap((n) => {
    try {
      return [JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as ContainerState];
    } catch {
      return [];
    }
  });
}

/** The container a run made, from its state file (RUN_DIR) once it names the container's PID. */
function containerOf(o: Observed) {
  return stateOf(RUN_DIR, o.run.process.pid!)?.container;
}

/** "uid gid" of a host process, from /proc/PID/status (real IDs, as the host numbers them). */
function idsOf(pid: number): string {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return `${/^Uid:\s+(\d+)/m.exec(status)?.[1]} ${/^Gid:\s+(\d+)/m.exec(status)?.[1]}`;
  } catch {
    return `no process ${pid}`;
  }
}

/** "uid gid" of a file on the host. */
function ownerOf(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.uid} ${st.gid}`;
  } catch {
    return `no file ${file}`;
  }
}

/** Live host processes (zombies are dead already: only their parent, or init, has yet to reap them). */
function hostProcesses(): { pid: number; uid: number }[] {
  return fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).flatMap((n) => {
    try {
      const status = fs.readFileSync(`/proc/${n}/status`, 'utf8');
      if (/^State:\s+Z/m.test(status)) return [];
      return [{ pid: Number(n), uid: Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) }];
    } catch {
      return [];
    }
  });
}

