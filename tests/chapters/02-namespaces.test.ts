/**
 * Chapter 2 — namespaces. The checks look at the living container from the
 * host: its namespaces in /proc/PID/ns, its PID in NSpid, its mounts in
 * /proc/PID/mountinfo, its /proc through /proc/PID/root, its hostname by
 * joining its UTS namespace. What the command prints is only supporting
 * evidence (the breakout probe's verdict).
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { ROOTFS } from '../../toolkit/paths.ts';
import { check, shown } from '../support/check.ts';
import { Running, described, runChapter } from '../support/container.ts';
import { hostMarker, mountChanges, processesWith, settle, snapshotHost, type HostSnapshot } from '../support/host.ts';
import { Observed, diagnose, hostnameOf, mountInfo, mountPoints, namespaceOf, nsPids, pidsInsideProc, processesInPidNamespace, sameFile } from '../support/observe.ts';

const marker = hostMarker();
const KINDS = ['mnt', 'pid', 'uts', 'ipc'];

/** Why chapter 2's container never reached its command, by the step at fault. */
const WHY: ReadonlyArray<readonly [RegExp, string]> = [
  [/host's mount namespace|CLONE_NEWNS first|host's UTS namespace/, "setupContainer() ran in the host's namespaces: createNamespaces() must unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID) (TODO 2.1)"],
  [/unshare/, 'unshare(2) failed: one call with CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID (TODO 2.1)'],
  [/mount\(null, "\/"/, 'making "/" private failed: mount(null, "/", null, MS_REC | MS_PRIVATE) (TODO 2.2)'],
  [/pivot_root.*(EINVAL|EBUSY)/, 'pivot_root(2) refused: new_root must be a mount point of its own — bind-mount c.rootfs onto itself first (TODO 2.3); where "/" is shared, also make every mount private (TODO 2.2)'],
  [/thread-self|\/proc\/self/, 'nothing is mounted on /proc in the container: mount a new proc before pivot_root (TODO 2.4)'],
  [/mount\("proc"/, 'mounting proc failed: mount("proc", `${c.rootfs}/proc`, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC), before pivot_root (TODO 2.4)'],
  [/mount\(.*MS_BIND/, 'the bind mount of c.rootfs onto itself failed (TODO 2.3)'],
  [/pivot_root|umount2|chdir/, 'pivot_root(".", "."), then umount2(".", MNT_DETACH) and chdir("/") (TODO 2.5)'],
  [/sethostname/, 'sethostname(c.hostname) in the new UTS namespace (TODO 2.6)'],
];

let box: Observed;
let before: HostSnapshot;
beforeAll(async () => {
  before = snapshotHost();
  box = await Observed.start(2, ['--hostname', 'grader-box'], `breakout ${marker.path}; echo "breakout exit $?"`);
});
afterAll(async () => {
  await box?.stop(); // undefined when the beforeAll itself failed
  marker.remove();
});

/** Fails the check with the runner's own reason when the container never ran its command. */
async function started(o: Observed, expected: string): Promise<number> {
  if (o.pid !== null) return o.pid;
  check(false, { expected, seen: await o.failure(), hint: diagnose(await o.stderr(), WHY) });
  throw new Error('unreachable');
}

describe('chapter 2: namespaces', () => {
  test('the command is PID 1 of a new PID namespace', async () => {
    const pid = await started(box, 'the command runs as PID 1 of its own PID namespace');
    const ids = nsPids(pid);
    const own = namespaceOf(pid, 'pid') !== namespaceOf('self', 'pid');
    check(own && ids.length === 2 && ids[1] === 1, {
      expected: `NSpid of the command (host PID ${pid}) is "${pid} 1": PID 1 in a PID namespace of its own`,
      seen: `NSpid: ${ids.join(' ')}; its PID namespace ${namespaceOf(pid, 'pid')}${own ? '' : ' is the host\'s'}`,
      hint: 'createNamespaces() must unshare CLONE_NEWPID: the next child is born as PID 1 of the new namespace (TODO 2.1)',
    });
  });

  test('the container has its own mount, PID, UTS and IPC namespaces', async () => {
    const pid = await started(box, 'the command runs in four new namespaces');
    const shared = KINDS.filter((k) => namespaceOf(pid, k) === namespaceOf('self', k));
    check(shared.length === 0, {
      expected: `/proc/${pid}/ns/{${KINDS.join(',')}} all differ from the host's`,
      seen: `shared with the host: ${shared.join(', ')} (${shared.map((k) => namespaceOf(pid, k)).join(' ')})`,
      hint: 'one unshare(2) with CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID (TODO 2.1)',
    });
  });

  test("the container's /proc shows its own processes only", async () => {
    const pid = await started(box, 'a proc for the new PID namespace at /proc');
    const inside = pidsInsideProc(pid);
    const procs = mountInfo(pid).filter((m) => m.point === '/proc');
    const members = processesInPidNamespace(namespaceOf(pid, 'pid'));
    check(procs.length > 0 && procs.every((m) => m.type === 'proc') && inside.length === members.length && inside.includes(1), {
      expected: `proc mounted at /proc, listing the container's ${members.length} process(es) as the host counts them, PID 1 among them`,
      seen: procs.length === 0 ? 'nothing is mounted on /proc' : `/proc (${procs.map((m) => m.type).join(', ')}) lists ${inside.length} PIDs: ${shown(inside.slice(0, 12).join(' '))}`,
      hint: 'ps reads /proc: mount a new proc for the container\'s PID namespace, before pivot_root (TODO 2.4)',
    });
  });

  test('the host is out of reach: the breakout probe fails', async () => {
    await started(box, 'the breakout probe runs in the container');
    const out = box.run.stdout;
    check(out.includes('breakout exit 1') && !out.includes(marker.content), {
      expected: `/bin/breakout ${marker.path} cannot climb out: it exits 1, "the container held"`,
      seen: `stdout: ${shown(out)}`,
      hint: 'chroot can be climbed out of: pivot_root(".", ".") and umount2(".", MNT_DETACH) leave nothing above "/" (TODO 2.5)',
    });
  });

  test('the root is the rootfs and the old root is gone: only / and /proc are mounted', async () => {
    const pid = await started(box, 'two mounts in the container: / (the rootfs) and /proc');
    const points = mountPoints(pid);
    const isRootfs = sameFile(`/proc/${pid}/root`, ROOTFS);
    check(isRootfs && points.length === 2 && points.includes('/') && points.includes('/proc'), {
      expected: `/proc/${pid}/root is ${ROOTFS}, and /proc/${pid}/mountinfo has two mounts: / and /proc`,
      seen: `root ${isRootfs ? 'is' : 'is not'} the rootfs; ${points.length} mounts: ${shown(points.join(' '), 200)}`,
      hint: isRootfs
        ? 'after pivotRoot(".", "."), umount2(".", MNT_DETACH) takes the host\'s old root away (TODO 2.5)'
        : 'chdir(c.rootfs), then pivotRoot(".", ".") makes the rootfs "/" (TODO 2.5)',
    });
    check(sameFile(`/proc/${pid}/cwd`, `/proc/${pid}/root`), {
      expected: 'the working directory is the new "/"',
      seen: `cwd is ${fs.readlinkSync(`/proc/${pid}/cwd`)}`,
      hint: 'chdir("/") after pivot_root (TODO 2.5)',
    });
  });

  test("the hostname is the container's, and the host's stays as it was", async () => {
    const pid = await started(box, 'the container runs with --hostname grader-box');
    const inside = hostnameOf(pid);
    const during = snapshotHost();
    check(inside === 'grader-box' && during.hostname === before.hostname, {
      expected: `in the container's UTS namespace "grader-box"; on the host still "${before.hostname}"`,
      seen: `inside "${inside}", on the host "${during.hostname}"`,
      hint: 'sethostname(c.hostname), in the new UTS namespace (TODO 2.6)',
    });
  });

  test('mounts stay in the container: the host mount table is unchanged, during and after', async () => {
    const pid = await started(box, 'the container runs');
    const own = namespaceOf(pid, 'mnt') !== namespaceOf('self', 'mnt') && mountPoints(pid).includes('/proc');
    const during = snapshotHost();
    await box.stop();
    const after = snapshotHost();
    // Others' mounts come and go on a shared machine: a leak of ours names the rootfs, or is a proc.
    const rootfs = fs.realpathSync(ROOTFS);
    const changed = [...mountChanges(before, during), ...mountChanges(before, after)].filter((l) => l.includes(rootfs) || / - proc /.test(l));
    check(own && changed.length === 0, {
      expected: 'the container mounts its /proc in a mount namespace of its own, and the host\'s /proc/self/mountinfo stays as it was, while it runs and after',
      seen: own ? `mount changes: ${shown(changed.join('\n'))}` : `the container's mounts are the host's (${namespaceOf(pid, 'mnt')}) or it has no /proc`,
      hint: 'mounts must stay in the container\'s mount namespace: make "/" private (MS_REC | MS_PRIVATE) before anything else (TODO 2.2)',
    });
  });

  test('on a host whose "/" is shared (systemd, the VM), nothing propagates back', async () => {
    // This machine's "/" is private, which would hide a missing TODO 2.2: make the learner's
    // condition — a mount namespace of the test's own whose mounts are shared, the rootfs a
    // shared mount below "/" as on a systemd host — and run the runner in it.
    const rootfs = fs.realpathSync(ROOTFS);
    const shared = ['unshare', '-m', '--', 'sh', '-c', `mount --make-rshared / && mount --bind "$0" "$0" && mount --make-shared "$0" && exec "$@"`, rootfs];
    const o = await Observed.start(2, [], null, shared);
    try {
      const runner = o.run.process.pid!;
      if (o.pid === null) {
        const err = await o.stderr();
        check(false, {
          expected: 'the container starts where "/" is shared',
          seen: await o.failure(),
          hint: /pivot_root.*EINVAL/.test(err)
            ? 'where "/" is shared, pivot_root(2) refuses (EINVAL): make every mount private first, recursively — mount(null, "/", null, MS_REC | MS_PRIVATE) (TODO 2.2)'
            : diagnose(err, WHY),
        });
      }
      const leaked = mountInfo(runner).filter((m) => m.point.startsWith(`${rootfs}/`));
      const binds = mountInfo(runner).filter((m) => m.point === rootfs);
      const own = namespaceOf(o.pid!, 'mnt') !== namespaceOf(runner, 'mnt') && sameFile(`/proc/${o.pid}/root`, rootfs) && mountPoints(o.pid!).length === 2;
      check(own && leaked.length === 0 && binds.length === 1, {
        expected: `the container has its own mounts (/ and /proc), and the runner's mount namespace keeps its one mount at ${rootfs}, nothing below it`,
        seen: own ? `${binds.length} mounts at the rootfs; below it: ${shown(leaked.map((m) => m.point).join(' '))}` : `the container's root and mounts are not its own: ${shown(mountPoints(o.pid!).join(' '), 120)}`,
        hint: 'your mounts propagated out of the container: make every mount private, recursively (MS_REC | MS_PRIVATE) (TODO 2.2)',
      });
    } finally {
      await o.stop();
    }
  });

  test('two containers run at the same time, each with its hostname (--hostname, or --name by default)', async () => {
    const [a, b] = await Promise.all([Observed.start(2, ['--hostname', 'one']), Observed.start(2, ['--name', 'gradebox7'])]);
    try {
      const pa = await started(a, 'two containers run at once');
      const pb = await started(b, 'two containers run at once');
      const [ha, hb] = [hostnameOf(pa), hostnameOf(pb)];
      check(ha === 'one' && hb === 'gradebox7' && namespaceOf(pa, 'uts') !== namespaceOf(pb, 'uts'), {
        expected: '"one" with --hostname one, "gradebox7" with --name gradebox7, in two UTS namespaces',
        seen: `"${ha}" (${namespaceOf(pa, 'uts')}), "${hb}" (${namespaceOf(pb, 'uts')})`,
        hint: 'sethostname(c.hostname) — the runner sets c.hostname from --hostname, or --name (TODO 2.6)',
      });
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  test('SIGKILL of the runner leaves no container process behind', async () => {
    const tag = `${31 + Math.floor(Math.random() * 1000) / 1000}`; // a sleep we can recognise from the host
    const run = new Running(2, ['/bin/sh', '-c', `sleep ${tag} & echo ready; sleep ${tag}`]);
    const ready = await run.waitFor('ready');
    // "ready" comes after the fork of the first sleep, not necessarily after its exec: wait for both.
    const seen = ready ? await settle(() => processesWith(`sleep ${tag}`), (v) => v.length >= 2) : processesWith(`sleep ${tag}`);
    run.kill('SIGKILL');
    const ran = await run.done;
    const after = await settle(() => processesWith(`sleep ${tag}`), (v) => v.length === 0);
    for (const pid of after) process.kill(pid, 'SIGKILL'); // ours: the unique sleep of this check
    check(ready && seen.length === 2 && after.length === 0, {
      expected: 'the container\'s two sleeps run, and are gone once the runner is killed',
      seen: ready ? `before: ${seen.length} processes, after: ${after.length} (${after.join(', ')})` : `the container never printed "ready": ${described(ran)}`,
      hint: ready
        ? 'PID 1 dies with the runner; when PID 1 dies the kernel kills its whole PID namespace — if there is one (CLONE_NEWPID, TODO 2.1)'
        : diagnose(ran.stderr, WHY),
    });
  });
});

describe('given: the runner (toolkit code, not graded)', () => {
  test("the command's exit status comes back, and SIGTERM reaches PID 1", async () => {
    const run = new Running(2, ['/bin/sh', '-c', 'trap "exit 42" TERM; echo ready; sleep 30 & wait']);
    const ready = await run.waitFor('ready');
    run.kill('SIGTERM');
    const ran = await run.done;
    check(ready && ran.code === 42, {
      expected: 'exit 42: the runner forwards SIGTERM to PID 1, whose trap exits 42',
      seen: described(ran),
      hint: 'exit 125 means setupContainer() failed: read its one-line error',
    });
  });

  test('a hostname longer than 64 bytes is refused with one line, before anything starts', async () => {
    const ran = await runChapter(2, ['--hostname', 'h'.repeat(65), 'true']);
    const lines = ran.stderr.trim().split('\n');
    check(ran.code === 2 && lines.length === 1 && /64 bytes/.test(lines[0]!), {
      expected: 'exit 2 and one line on stderr about the 64-byte limit (HOST_NAME_MAX)',
      seen: described(ran),
      hint: 'the runner validates options up front; this check fails only if that is broken',
    });
  });
});
