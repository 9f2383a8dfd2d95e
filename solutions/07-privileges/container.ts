/**
 * Chapter 7 — privileges. Reference solution. Lesson: chapters/07-privileges/README.md
 *
 * Chapter 6's container with root's power taken away. Each function below is
 * one step of toolkit/runtime/sequence.ts: the devices cgroup on the host
 * (prepare); a fresh /dev, read-only and masked paths inside, before
 * pivot_root (setup); --read-only after it; and last, in the confine phase
 * just before execve(2), the bounding set, the uid, capset, no_new_privs and
 * the seccomp filter — last because the filter refuses mount(2) and
 * unshare(2), which every earlier step needs.
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
import type { Container } from '../../toolkit/runtime/container.ts';
import { DEV_SYMLINKS, DEVICES, deviceAllowList } from '../../toolkit/security/devices.ts';
import { devicesCgroupDir } from '../../toolkit/security/devices-cgroup.ts';
import { MASKED_PATHS, READONLY_PATHS, isMountPoint, pathKind } from '../../toolkit/security/paths.ts';
import { DEFAULT_PRIVILEGES, keptCapabilities } from '../../toolkit/security/privileges.ts';
import { CLONE, CLONE3, CLONE_NAMESPACE_FLAGS, X32_SYSCALL_BIT, deniedNumbers } from '../../toolkit/security/syscalls.ts';
import { changeUserKeepingCapabilities } from '../../toolkit/security/user.ts';

const EPERM = 1;
const ENOSYS = 38;

/** The capabilities the container keeps: docker's 14, with --cap-drop and --cap-add applied. */
const kept = (c: Container): number[] => keptCapabilities(c.privileges ?? DEFAULT_PRIVILEGES, lastCapability());

// ── Host side, before "go" ───────────────────────────────────────────────────────────────────────

/** TODO 7.9 — cgroup v1's devices controller: deny every device, then allow the few of /dev. */
export function allowDevices(c: Container, pid: number): void {
  const dir = devicesCgroupDir(c.id);
  if (dir === null) return; // cgroup v2: the same list would be a BPF program (see the lesson)
  makeCgroupDir(dir);
  writeCgroupFile(`${dir}/devices.deny`, 'a');
  for (const line of deviceAllowList()) writeCgroupFile(`${dir}/devices.allow`, line);
  writeCgroupFile(`${dir}/cgroup.procs`, pid);
}

/** Given: after the end (also after a crash, from the state file), the devices cgroup goes. */
export function removeDevicesCgroup(c: Container): void {
  const dir = devicesCgroupDir(c.id);
  if (dir !== null && fs.existsSync(dir)) removeCgroupDir(dir);
}

// ── Inside, before pivot_root: under the rootfs, where chapter 2's bind put it ───────────────────

/** TODO 7.6 — a /dev of the container's own: a tmpfs with six nodes, the usual links, devpts and shm. */
export function mountDev(c: Container): void {
  const dev = `${c.rootfs}/dev`;
  mount('tmpfs', dev, 'tmpfs', MS_NOSUID | MS_STRICTATIME, 'mode=755,size=65536k');
  for (const d of DEVICES) {
    try {
      mknod(`${dev}/${d.name}`, S_IFCHR | d.mode, d.major, d.minor);
      fs.chmodSync(`${dev}/${d.name}`, d.mode); // mknod's mode passes through the umask
    } catch (error) {
      // In a user namespace CAP_MKNOD counts for nothing: bind the host's node instead (runc does the same).
      if (!isSyscallError(error, 'EPERM')) throw error;
      fs.writeFileSync(`${dev}/${d.name}`, '');
      mount(`/dev/${d.name}`, `${dev}/${d.name}`, null, MS_BIND);
    }
  }
  for (const [name, target] of DEV_SYMLINKS) fs.symlinkSync(target, `${dev}/${name}`);
  fs.mkdirSync(`${dev}/pts`);
  mount('devpts', `${dev}/pts`, 'devpts', MS_NOSUID | MS_NOEXEC, 'newinstance,ptmxmode=0666,mode=0620');
  fs.mkdirSync(`${dev}/shm`);
  mount('shm', `${dev}/shm`, 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, 'mode=1777,size=65536k');
}

/** TODO 7.7 — /proc/sys and the other kernel knobs read-only, and a read-only /sys. */
export function mountReadOnlyPaths(c: Container): void {
  for (const p of READONLY_PATHS) {
    const at = `${c.rootfs}${p}`; // in the container's new /proc (chapter 2's mountProc)
    if (pathKind(at) === 'absent') continue;
    mount(at, at, null, MS_BIND | MS_REC);
    // A bind mount takes MS_RDONLY only on a remount; the proc mount's nosuid,nodev,noexec must be restated
    // (in a user namespace the kernel refuses to drop them: they are locked).
    mount(at, at, null, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
  }
  // A sysfs of the container's network namespace. Before pivot_root: in a user namespace the kernel
  // allows a new sysfs only while one is in view (the host's). On cgroup v2 chapter 3 mounted it already.
  const sys = `${c.rootfs}/sys`;
  if (!isMountPoint(sys)) mount('sysfs', sys, 'sysfs', MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
}

/** TODO 7.8 — hide what /proc and /sys say about the host: /dev/null over files, an empty tmpfs over directories. */
export function maskPaths(c: Container): void {
  for (const p of MASKED_PATHS) {
    const at = `${c.rootfs}${p}`;
    const kind = pathKind(at);
    if (kind === 'absent') continue; // nothing to hide on this kernel
    if (kind === 'file') mount('/dev/null', at, null, MS_BIND);
    else mount('tmpfs', at, 'tmpfs', MS_RDONLY, 'size=0');
  }
}

// ── Inside, after pivot_root ─────────────────────────────────────────────────────────────────────

/** TODO 7.10 — --read-only: the root filesystem itself, remounted read-only (its submounts stay as they are). */
export function makeRootReadOnly(_c: Container): void {
  mount(null, '/', null, MS_BIND | MS_REMOUNT | MS_RDONLY);
}

// ── Inside, last, just before execve(2): the confine phase ──────────────────────────────────────

/** TODO 7.1 — the bounding set: the most any program exec'd from here can ever get. */
export function dropBoundingSet(c: Container): void {
  const keep = kept(c);
  for (let cap = 0; cap <= lastCapability(); cap++) {
    if (!keep.includes(cap)) dropBoundingCapability(cap);
  }
}

/** Given: --user, or the image's User — now, while CAP_SETUID is still there, keeping the permitted set for capset. */
export function becomeUser(c: Container): void {
  changeUserKeepingCapabilities(c);
}

/**
 * TODO 7.2 — effective and permitted: the kept ones; inheritable: none (a leaked
 * inheritable set would pass through execve to root's next program); ambient: none.
 */
export function setCapabilities(c: Container): void {
  const mask = capabilityMask(kept(c));
  // After a change to a non-root uid only the permitted set survived (PR_SET_KEEPCAPS): effective ⊆ permitted.
  capset({ effective: mask, permitted: mask, inheritable: 0n });
  clearAmbientCapabilities();
}

/** TODO 7.3 — no_new_privs: execve never grants more, whatever setuid bit or file capability. */
export function setNoNewPrivileges(_c: Container): void {
  setNoNewPrivs();
}

/**
 * TODO 7.4 — the seccomp filter, in classic BPF:
 *   wrong architecture → kill; x32 calls → EPERM; clone3 → ENOSYS (libc falls back to clone);
 *   clone with namespace flags → EPERM; a denied call → EPERM; anything else → allow.
 */
export function buildSeccompFilter(arch: string): SockFilter[] {
  if (arch !== 'x64' && arch !== 'arm64') throw new Error(`no seccomp filter for ${arch}`);
  const errno = (e: number) => bpfStmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | e);
  const program: SockFilter[] = [
    bpfStmt(BPF_LD | BPF_W | BPF_ABS, SECCOMP_DATA_ARCH),
    bpfJump(BPF_JMP | BPF_JEQ | BPF_K, auditArch(arch), 1, 0),
    bpfStmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    bpfStmt(BPF_LD | BPF_W | BPF_ABS, SECCOMP_DATA_NR),
  ];
  if (arch === 'x64') program.push(bpfJump(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1), errno(EPERM));
  program.push(
    bpfJump(BPF_JMP | BPF_JEQ | BPF_K, CLONE3[arch], 0, 1), errno(ENOSYS),
    bpfJump(BPF_JMP | BPF_JEQ | BPF_K, CLONE[arch], 0, 4),
    bpfStmt(BPF_LD | BPF_W | BPF_ABS, seccompDataArgLow(0)),
    bpfJump(BPF_JMP | BPF_JSET | BPF_K, CLONE_NAMESPACE_FLAGS, 0, 1), errno(EPERM),
    bpfStmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  );
  const denied = deniedNumbers(arch);
  // Each match jumps over the rest and the ALLOW, to the shared ERRNO at the end.
  denied.forEach(({ nr }, i) => program.push(bpfJump(BPF_JMP | BPF_JEQ | BPF_K, nr, denied.length - i, 0)));
  program.push(bpfStmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), errno(EPERM));
  return program;
}

/** TODO 7.5 — install it for every thread (TSYNC); it survives the execve. */
export function installSeccompFilter(_c: Container): void {
  const program = buildSeccompFilter(process.arch);
  seccompSetModeFilter(program, SECCOMP_FILTER_FLAG_TSYNC);
}
