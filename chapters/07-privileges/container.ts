/**
 * Chapter 7 — privileges.  Lesson: chapters/07-privileges/README.md
 *
 * Root in chapters 1–5 is still the host's root: every capability, no
 * filter on system calls, the kernel's knobs in /proc writable. Chapter 6's
 * user namespace makes it an unprivileged uid on the host, but inside it is
 * still root of everything the container owns. Take that power away — and
 * keep the container working.
 *
 *   npm run chapter 7 -- escape-probe                     the escape battery, from inside
 *   npm run chapter 7 -- grep -E 'Cap|NoNew|Seccomp' /proc/self/status
 *   npm run chapter 7 -- --user 1000 setuid-probe          no_new_privs at work
 *   npm run chapter 7 -- --userns host escape-probe        no user namespace: only your walls
 *   npm run chapter 7 -- --privileged --userns host escape-probe   the contrast
 *   npm run chapter 7 -- --explain                        where each step runs
 *   npm test
 *
 * Each function is one step of the container (toolkit/runtime/sequence.ts
 * says when it runs, after chapter 6's): the devices cgroup on the host; a
 * fresh /dev, read-only and masked paths before pivot_root; then, last, in
 * the confine phase just before execve(2): the bounding set while
 * CAP_SETPCAP is still there, the uid change while CAP_SETUID is, capset
 * after it, no_new_privs, and the seccomp filter — it refuses mount(2), so
 * nothing may mount after it.
 */
import fs from 'node:fs';
import {
  MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, MS_REMOUNT, MS_STRICTATIME,
  S_IFCHR, isSyscallError, mknod, mount,
} from '../../toolkit/kernel/index.ts';
import {
  capset, clearAmbientCapabilities, capabilityMask, dropBoundingCapability, lastCapability,
} from '../../toolkit/kernel/capabilities.ts';
import { setNoNewPrivs } from '../../toolkit/kernel/prctl.ts';
import {
  BPF_ABS, BPF_JEQ, BPF_JGE, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_RET, BPF_W,
  SECCOMP_DATA_ARCH, SECCOMP_DATA_NR, SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS,
  auditArch, bpfJump, bpfStmt, seccompDataArgLow, seccompSetModeFilter, type SockFilter,
} from '../../toolkit/kernel/seccomp.ts';
import { makeCgroupDir, removeCgroupDir, writeCgroupFile } from '../../toolkit/cgroups/index.ts';
import { todo, type Container } from '../../toolkit/runtime/container.ts';
import { DEV_SYMLINKS, DEVICES, deviceAllowList } from '../../toolkit/security/devices.ts';
import { devicesCgroupDir } from '../../toolkit/security/devices-cgroup.ts';
import { MASKED_PATHS, READONLY_PATHS, isMountPoint, pathKind } from '../../toolkit/security/paths.ts';
import { DEFAULT_PRIVILEGES, keptCapabilities } from '../../toolkit/security/privileges.ts';
import { CLONE, CLONE3, CLONE_NAMESPACE_FLAGS, X32_SYSCALL_BIT, deniedNumbers } from '../../toolkit/security/syscalls.ts';
import { changeUserKeepingCapabilities } from '../../toolkit/security/user.ts';

// Named here so the steps below can use them (errno(3)).
const EPERM = 1;
const ENOSYS = 38;

/** The capabilities the container keeps, as numbers: docker's 14, with --cap-drop and --cap-add applied. */
const kept = (c: Container): number[] => keptCapabilities(c.privileges ?? DEFAULT_PRIVILEGES, lastCapability());

// ── Host side, before "go" ───────────────────────────────────────────────────────────────────────

/** The container's devices cgroup (cgroup v1), made and joined before the command runs. */
export function allowDevices(c: Container, pid: number): void {
  const dir = devicesCgroupDir(c.id);
  if (dir === null) return; // cgroup v2: the same list would be a BPF program (see the lesson)
  // TODO(7.9): a CAP_MKNOD root can make /dev/sda anywhere it may write. Create the
  //            container's devices cgroup `dir` (makeCgroupDir), deny every device there
  //            ("a" to devices.deny), then allow each line of deviceAllowList() in
  //            devices.allow, and move `pid` into it (cgroup.procs) — before it runs.
  //            Documentation/admin-guide/cgroup-v1/devices.rst. Then delete the line below.
  todo('7.9 the devices cgroup: deny all, allow the few nodes of /dev');
}

/** Given: after the end (also after a crash, from the state file), the devices cgroup goes. */
export function removeDevicesCgroup(c: Container): void {
  const dir = devicesCgroupDir(c.id);
  if (dir !== null && fs.existsSync(dir)) removeCgroupDir(dir);
}

// ── Inside, before pivot_root: under the rootfs, where chapter 2's bind put it ───────────────────

/** A /dev of the container's own, at `${c.rootfs}/dev`. */
export function mountDev(c: Container): void {
  // TODO(7.6): a tmpfs over the rootfs's /dev (nosuid, mode=755), holding only DEVICES: make each
  //            with mknod(2) (S_IFCHR | its mode, then chmod: the umask applies) — or, where mknod is
  //            EPERM (a user namespace), an empty file with the host's /dev/NAME bind-mounted on it;
  //            the DEV_SYMLINKS; a devpts of its own at dev/pts (newinstance,ptmxmode=0666 — see
  //            devpts in mount(8)); a tmpfs at dev/shm (nosuid,nodev,noexec). Then delete the line below.
  todo(`7.6 a fresh /dev in ${c.rootfs}/dev`);
}

/** /proc/sys and the other kernel knobs read-only, and a read-only /sys — in the new /proc, under the rootfs. */
export function mountReadOnlyPaths(c: Container): void {
  // TODO(7.7): for each of READONLY_PATHS, at `${c.rootfs}${p}`, that exists here (pathKind): bind it
  //            onto itself, then remount that bind MS_RDONLY (mount(2) "Creating a bind mount" / remount;
  //            restate nosuid,nodev,noexec: in a user namespace they are locked). Absent is its own
  //            answer: skip it. Then, unless something is mounted there already (isMountPoint: chapter 3
  //            on cgroup v2), a sysfs at `${c.rootfs}/sys`, read-only. Then delete the line below.
  todo(`7.7 read-only /proc/sys and friends, and /sys, under ${c.rootfs}`);
}

/** Hides what /proc and /sys say about the host. */
export function maskPaths(c: Container): void {
  // TODO(7.8): for each of MASKED_PATHS that exists at `${c.rootfs}${p}`: a file gets /dev/null bound
  //            over it, a directory an empty read-only tmpfs. Then delete the line below.
  todo(`7.8 mask /proc/kcore, /proc/keys, /sys/firmware and the rest under ${c.rootfs}`);
}

// ── Inside, after pivot_root ─────────────────────────────────────────────────────────────────────

/** --read-only: the root filesystem itself read-only (its submounts stay as they are). */
export function makeRootReadOnly(_c: Container): void {
  // TODO(7.10): remount the bind mount at "/" read-only (MS_BIND | MS_REMOUNT | MS_RDONLY). Then delete the line below.
  todo('7.10 remount / read-only');
}

// ── Inside, last, just before execve(2): the confine phase ──────────────────────────────────────

/** The bounding set: the most any program exec'd from here can ever get. */
export function dropBoundingSet(c: Container): void {
  const keep = kept(c);
  // TODO(7.1): remove every capability this kernel has (0 … lastCapability()) that is not in
  //            `keep` from the bounding set — prctl(2) PR_CAPBSET_DROP, one capability per call
  //            (dropBoundingCapability). For root, execve(2) makes the new permitted set out of
  //            the bounding set: this is what decides CapEff after the exec. Then delete the line below.
  todo(`7.1 drop the bounding set to ${keep.length} capabilities`);
}

/** Given: --user, or the image's User — now, while CAP_SETUID is still there, keeping the permitted set for capset. */
export function becomeUser(c: Container): void {
  changeUserKeepingCapabilities(c);
}

/** The effective, permitted and inheritable sets, and the ambient set. */
export function setCapabilities(c: Container): void {
  const keep = kept(c);
  // TODO(7.2): capset(2) (version 3 header, done by capset()): effective and permitted = the
  //            kept capabilities as a mask (capabilityMask), inheritable = none — a runner started
  //            with a full inheritable set would otherwise hand it through the execve (capabilities(7),
  //            "Transformation of capabilities during execve()"). Then empty the ambient set (prctl(2)
  //            PR_CAP_AMBIENT_CLEAR_ALL). Then delete the line below.
  todo(`7.2 capset the ${keep.length} kept capabilities, nothing inheritable, no ambient`);
}

/** no_new_privs: execve never grants more, whatever setuid bit or file capability. */
export function setNoNewPrivileges(_c: Container): void {
  // TODO(7.3): set no_new_privs — prctl(2) PR_SET_NO_NEW_PRIVS; see
  //            Documentation/userspace-api/no_new_privs.rst. /bin/setuid-probe run with --user 1000
  //            must stay uid 1000. Then delete the line below.
  todo('7.3 set no_new_privs');
}

/** The seccomp filter, as classic BPF instructions (bpfStmt, bpfJump), for `arch` ('x64' or 'arm64'). */
export function buildSeccompFilter(arch: string): SockFilter[] {
  if (arch !== 'x64' && arch !== 'arm64') throw new Error(`no seccomp filter for ${arch}`);
  // TODO(7.4): a program the kernel runs on each system call, over struct seccomp_data (seccomp(2),
  //            Documentation/userspace-api/seccomp_filter.rst):
  //            1. load the architecture (SECCOMP_DATA_ARCH); if it is not auditArch(arch), kill the
  //               process (SECCOMP_RET_KILL_PROCESS): syscall numbers mean other calls on another ABI;
  //            2. load the number (SECCOMP_DATA_NR); on x64, numbers ≥ X32_SYSCALL_BIT → EPERM;
  //            3. clone3 → ENOSYS (its flags are in memory a filter cannot read; libc then uses clone);
  //               clone whose first argument has any CLONE_NAMESPACE_FLAGS bit (BPF_JSET) → EPERM;
  //            4. each of deniedNumbers(arch) → SECCOMP_RET_ERRNO | EPERM; anything else → SECCOMP_RET_ALLOW.
  //            Then delete the line below.
  return todo(`7.4 build the seccomp filter for ${arch}`);
}

/** Installs this process's filter for every thread; it stays through the execve. The last step before it. */
export function installSeccompFilter(_c: Container): void {
  const program = buildSeccompFilter(process.arch);
  // TODO(7.5): seccomp(2) SECCOMP_SET_MODE_FILTER (seccompSetModeFilter) with
  //            SECCOMP_FILTER_FLAG_TSYNC: Node has many threads, and without TSYNC only this one
  //            is filtered until the execve. Then delete the line below.
  todo(`7.5 install the ${program.length}-instruction filter on every thread`);
}
