/**
 * Chapter 7 — privileges. Reference solution. Lesson: chapters/07-privileges/README.md
 */
import fs from 'node:fs';
import {
  MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT, MS_STRICTATIME,
  S_IFCHR, isSyscallError, mknod, mount, unshare,
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
import { MASKED_PATHS, READONLY_PATHS, pathKind } from '../../toolkit/security/paths.ts';
import { DEFAULT_PRIVILEGES, keptCapabilities, type Privileges } from '../../toolkit/security/privileges.ts';
import { CLONE, CLONE3, CLONE_NAMESPACE_FLAGS, X32_SYSCALL_BIT, deniedNumbers } from '../../toolkit/security/syscalls.ts';
import { changeUserKeepingCapabilities } from '../../toolkit/security/user.ts';
import * as ch2 from '../../solutions/02-namespaces/container.ts';
import * as ch6 from '../../solutions/06-user-namespaces/container.ts';

const EPERM = 1;
const ENOSYS = 38;

const privilegesOf = (c: Container): Privileges => c.privileges ?? DEFAULT_PRIVILEGES;
/** Chapter 6's user namespace when maps are given; otherwise root is the host's root, as with docker's default. */
const inUserNamespace = (c: Container): boolean => c.uidMap.length > 0 || c.gidMap.length > 0;

// ── Host side: chapter 2's namespaces, or chapter 6's with a user namespace ───────────────────────

export function namespacesForNsexec(c: Container): number | undefined {
  return inUserNamespace(c) ? ch6.namespaces(c) | ch2.namespaces(c) : undefined;
}

export function createNamespaces(c: Container): void {
  unshare(ch2.namespaces(c));
}

export function writeIdMaps(c: Container, pid: number): void {
  ch6.writeIdMaps(c, pid);
}

export function prepareHost(c: Container, pid: number): void {
  if (inUserNamespace(c)) ch6.ownWritableLayer(c, pid);
  if (!privilegesOf(c).privileged) allowDevices(c, pid);
}

/** TODO 7.9 — cgroup v1's devices controller: deny every device, then allow the few of /dev. */
export function allowDevices(c: Container, pid: number): void {
  const dir = devicesCgroupDir(c.id);
  if (dir === null) return; // cgroup v2: the same list would be a BPF program (see the lesson)
  makeCgroupDir(dir);
  writeCgroupFile(`${dir}/devices.deny`, 'a');
  for (const line of deviceAllowList()) writeCgroupFile(`${dir}/devices.allow`, line);
  writeCgroupFile(`${dir}/cgroup.procs`, pid);
}

export function cleanupHost(c: Container): void {
  if (inUserNamespace(c)) ch6.removeOwnTmp(c);
  const dir = devicesCgroupDir(c.id);
  if (dir !== null && fs.existsSync(dir)) removeCgroupDir(dir);
}

// ── In the container's first process ─────────────────────────────────────────────────────────────

export function setupContainer(c: Container): void {
  const p = privilegesOf(c);
  ch2.makeMountsPrivate(c);
  // Before chapter 2 binds the rootfs (MS_REC), so the new /dev comes along into the new "/".
  if (!p.privileged) mountDev(c);
  if (inUserNamespace(c)) ch6.mountOwnTmp(c);
  for (const step of [ch2.bindRootfs, ch2.mountProc, ch2.pivotIntoRootfs, ch2.setHostname]) step(c);

  // Now "/" is the rootfs and /proc the container's.
  if (!p.privileged) {
    mountReadOnlyPaths(c);
    maskPaths();
  }
  if (p.readOnlyRootfs) makeRootReadOnly();

  if (p.privileged) {
    return; // every capability, no no_new_privs, no filter: the contrast
  }
  // Without no_new_privs, installing a filter takes CAP_SYS_ADMIN: then it goes in while we still have it.
  if (p.seccomp && !p.noNewPrivileges) installSeccompFilter(buildSeccompFilter(process.arch));
  const keep = keptCapabilities(p, lastCapability());
  dropBoundingSet(keep);
  // The uid change needs CAP_SETUID/CAP_SETGID in the effective set, so it comes before capset.
  changeUserKeepingCapabilities(c);
  setCapabilities(keep);
  if (p.noNewPrivileges) setNoNewPrivileges();
  // Last: the child stage still mounts (above), and the filter refuses mount(2).
  if (p.seccomp && p.noNewPrivileges) installSeccompFilter(buildSeccompFilter(process.arch));
}

/** TODO 7.1 — the bounding set: the most any program exec'd from here can ever get. */
export function dropBoundingSet(keep: readonly number[]): void {
  for (let cap = 0; cap <= lastCapability(); cap++) {
    if (!keep.includes(cap)) dropBoundingCapability(cap);
  }
}

/**
 * TODO 7.2 — effective and permitted: the kept ones; inheritable: none (a leaked
 * inheritable set would pass through execve to root's next program); ambient: none.
 */
export function setCapabilities(keep: readonly number[]): void {
  const mask = capabilityMask(keep);
  // After a change to a non-root uid only the permitted set survived (PR_SET_KEEPCAPS): effective ⊆ permitted.
  capset({ effective: mask, permitted: mask, inheritable: 0n });
  clearAmbientCapabilities();
}

/** TODO 7.3 — no_new_privs: execve never grants more, whatever setuid bit or file capability. */
export function setNoNewPrivileges(): void {
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
export function installSeccompFilter(program: readonly SockFilter[]): void {
  seccompSetModeFilter(program, SECCOMP_FILTER_FLAG_TSYNC);
}

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

/** TODO 7.8 — hide what /proc and /sys say about the host: /dev/null over files, an empty tmpfs over directories. */
export function maskPaths(): void {
  for (const p of MASKED_PATHS) {
    const kind = pathKind(p);
    if (kind === 'absent') continue; // nothing to hide on this kernel
    if (kind === 'file') mount('/dev/null', p, null, MS_BIND);
    else mount('tmpfs', p, 'tmpfs', MS_RDONLY, 'size=0');
  }
}

/** TODO 7.7 — /proc/sys and the other kernel knobs read-only, and a read-only /sys. */
export function mountReadOnlyPaths(c: Container): void {
  for (const p of READONLY_PATHS) {
    if (pathKind(p) === 'absent') continue;
    mount(p, p, null, MS_BIND | MS_REC);
    // A bind mount takes MS_RDONLY only on a remount; the proc mount's nosuid,nodev,noexec must be restated
    // (in a user namespace the kernel refuses to drop them: they are locked).
    mount(p, p, null, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
  }
  // sysfs belongs to the network namespace's owner: in a user namespace without a network namespace of its own, none.
  if (!inUserNamespace(c)) mount('sysfs', '/sys', 'sysfs', MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
}

/** TODO 7.10 — --read-only: the root filesystem itself, remounted read-only (its submounts stay as they are). */
export function makeRootReadOnly(): void {
  mount(null, '/', null, MS_BIND | MS_REMOUNT | MS_RDONLY);
}
