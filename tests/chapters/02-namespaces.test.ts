/**
 * Chapter 2 — namespaces. The checks judge the isolation itself: what the
 * container sees from inside, and that the host stays as it was.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { check, shown } from '../support/check.ts';
import { Running, described, runChapter } from '../support/container.ts';
import { PROJECT } from '../../toolkit/paths.ts';
import { hostMarker, hostNamespace, mountChanges, snapshotHost, processesWith, settle } from '../support/host.ts';

const marker = hostMarker();
afterAll(() => marker.remove());

describe('chapter 2: namespaces', () => {
  test('the command is PID 1', async () => {
    const ran = await runChapter(2, ['/bin/sh', '-c', 'echo $$']);
    check(ran.code === 0 && ran.stdout.trim() === '1', {
      expected: '`echo $$` prints 1',
      seen: `${described(ran)}, stdout: ${shown(ran.stdout)}`,
      hint: 'createNamespaces() must unshare CLONE_NEWPID: the next child is born as PID 1',
    });
  });

  test('ps inside lists only the container\'s processes', async () => {
    const ran = await runChapter(2, ['/bin/sh', '-c', 'ps -o pid,comm; true']);
    const rows = ran.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    const pids = rows.map((r) => Number(r[0]));
    check(ran.code === 0 && rows.length === 2 && pids[0] === 1 && pids.every((p) => p < 1000), {
      expected: 'two processes: the shell as PID 1, and ps',
      seen: `${described(ran)}, ps: ${shown(ran.stdout)}`,
      hint: 'ps reads /proc: mount a new proc for the container\'s PID namespace (TODO 2.4)',
    });
  });

  test('the container has its own mount, PID, UTS and IPC namespaces', async () => {
    const kinds = ['mnt', 'pid', 'uts', 'ipc'];
    const ran = await runChapter(2, ['/bin/sh', '-c', `for k in ${kinds.join(' ')}; do readlink /proc/self/ns/$k; done`]);
    const inside = ran.stdout.trim().split('\n');
    const same = kinds.filter((k, i) => inside[i] === hostNamespace(k));
    check(ran.code === 0 && inside.length === 4 && same.length === 0, {
      expected: `four namespace links that differ from the host's (${kinds.map(hostNamespace).join(' ')})`,
      seen: ran.code === 0 ? `inside: ${inside.join(' ')}${same.length ? `; shared with the host: ${same.join(', ')}` : ''}` : described(ran),
      hint: 'one unshare(2) with CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID',
    });
  });

  test('the hostname is the container\'s: --hostname, or the name by default', async () => {
    const given = await runChapter(2, ['--hostname', 'grader-box', 'hostname']);
    const byName = await runChapter(2, ['--name', 'gradebox7', 'hostname']);
    check(given.stdout.trim() === 'grader-box' && byName.stdout.trim() === 'gradebox7', {
      expected: '"grader-box" with --hostname grader-box, "gradebox7" with --name gradebox7',
      seen: `${shown(given.stdout)} (${described(given)}); ${shown(byName.stdout)} (${described(byName)})`,
      hint: 'sethostname(c.hostname) inside the new UTS namespace (TODO 2.6)',
    });
  });

  test("the host's hostname and mount table stay unchanged, during and after; SIGTERM reaches PID 1", async () => {
    const before = snapshotHost();
    const run = new Running(2, ['--hostname', 'isolated', '/bin/sh', '-c', 'trap "exit 42" TERM; echo ready; sleep 30 & wait']);
    const ready = await run.waitFor('ready');
    const during = snapshotHost();
    run.kill('SIGTERM');
    const ran = await run.done;
    const after = snapshotHost();
    const changed = [...mountChanges(before, during), ...mountChanges(before, after)];
    check(ready && during.hostname === before.hostname && after.hostname === before.hostname && changed.length === 0, {
      expected: `host hostname "${before.hostname}" and mount table unchanged while the container runs and after`,
      seen: !ready
        ? `the container never printed "ready": ${described(ran)}`
        : `hostname during: "${during.hostname}", after: "${after.hostname}"; mount changes: ${shown(changed.join('\n')) }`,
      hint: 'mounts must stay in the container\'s mount namespace: make "/" private (MS_REC|MS_PRIVATE) before anything else',
    });
    check(ran.code === 42, {
      expected: 'exit 42: the runner forwards SIGTERM to PID 1, whose trap exits 42',
      seen: described(ran),
      hint: 'the runner forwards signals to the container; the exit status must come back',
    });
  });

  test('the old root is gone: only / and /proc are mounted, and the breakout probe fails', async () => {
    const mounts = await runChapter(2, ['cat', '/proc/self/mountinfo']);
    const points = mounts.stdout.trim().split('\n').map((l) => l.split(' ')[4]);
    const escape = await runChapter(2, ['breakout', marker.path]);
    check(mounts.code === 0 && points.length === 2 && points.includes('/') && points.includes('/proc'), {
      expected: 'two mounts inside: / (the rootfs) and /proc',
      seen: mounts.code === 0 ? `mount points: ${points.join(' ')}` : described(mounts),
      hint: 'after pivotRoot(".", "."), umount2(".", MNT_DETACH) takes the host\'s old root away',
    });
    check(escape.code === 1 && !escape.stdout.includes(marker.content), {
      expected: `breakout cannot reach ${marker.path}: exit 1, "the container held"`,
      seen: `${described(escape)}, stdout: ${shown(escape.stdout)}`,
      hint: 'with chroot the probe climbs out; pivot_root + unmounting the old root leaves nothing above "/"',
    });
  });

  test("the command's exit status comes back", async () => {
    const ran = await runChapter(2, ['/bin/sh', '-c', 'exit 7']);
    check(ran.code === 7, {
      expected: 'exit 7 (from `sh -c "exit 7"`)',
      seen: described(ran),
      hint: 'exit 125 means setupContainer() failed: read its one-line error',
    });
  });

  test('two containers run at the same time without colliding', async () => {
    const a = new Running(2, ['--hostname', 'one', '/bin/sh', '-c', 'hostname; echo ready; sleep 1']);
    const b = new Running(2, ['--hostname', 'two', '/bin/sh', '-c', 'hostname; echo ready; sleep 1']);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    check(ra.code === 0 && rb.code === 0 && ra.stdout.startsWith('one\n') && rb.stdout.startsWith('two\n'), {
      expected: 'both exit 0, one says "one", the other "two"',
      seen: `${described(ra)} ${shown(ra.stdout)}; ${described(rb)} ${shown(rb.stdout)}`,
      hint: 'each container must have its own UTS namespace and nothing shared on the host',
    });
  });

  test('SIGKILL of the runner leaves no container process behind', async () => {
    const tag = `${31 + Math.floor(Math.random() * 1000) / 1000}`; // a sleep we can recognise from the host
    const run = new Running(2, ['/bin/sh', '-c', `sleep ${tag} & echo ready; sleep ${tag}`]);
    const ready = await run.waitFor('ready');
    // "ready" comes after the fork of the first sleep, not necessarily after its exec: wait for both.
    const before = ready ? await settle(() => processesWith(`sleep ${tag}`), (v) => v.length >= 2) : processesWith(`sleep ${tag}`);
    run.kill('SIGKILL');
    await run.done;
    const after = await settle(() => processesWith(`sleep ${tag}`), (v) => v.length === 0);
    check(ready && before.length === 2 && after.length === 0, {
      expected: 'the container\'s two sleeps run, and are gone once the runner is killed',
      seen: ready ? `before: ${before.length} processes, after: ${after.length} (${after.join(', ')})` : 'the container never printed "ready"',
      hint: 'PID 1 dies with the runner (PR_SET_PDEATHSIG); when PID 1 dies, the kernel kills its whole PID namespace',
    });
    // A killed runner cannot tidy its own records: `npm run clean` (or the next run) does.
    const clean = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT, 'toolkit/cli/clean.ts')], { encoding: 'utf8' });
    check(clean.status === 0, {
      expected: '`npm run clean` exits 0: nothing of the workbook left on the machine',
      seen: `exit ${clean.status}: ${shown(clean.stdout + clean.stderr)}`,
      hint: 'a container\'s host-side changes must be undone by its chapter\'s cleanupHost()',
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

