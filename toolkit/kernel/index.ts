/**
 * The kernel toolkit: the system calls a container runtime is made of, one
 * file per mechanism, each with its man page. Import everything from here.
 */
export * from './constants.ts';
export { SyscallError, isSyscallError } from './error.ts';
export { errnoName } from './errno.ts';
export { syscallNumber } from './syscall-numbers.ts';
export { unshare, setns } from './namespaces.ts';
export { mount, umount2 } from './mount.ts';
export { pivotRoot } from './pivot-root.ts';
export { chroot, chdir } from './chroot.ts';
export { sethostname, HOST_NAME_MAX } from './hostname.ts';
export { execve } from './exec.ts';
export { setParentDeathSignal } from './process.ts';
export { pidfdOpen, pidfdSendSignal } from './pidfd.ts';
export { peerClosed } from './poll.ts';
export { HostProtectionError, protectHostNamespaces } from './guard.ts';
export { mknod, mknodWhiteout, makedev, S_IFMT, S_IFCHR, S_IFBLK, S_IFIFO } from './mknod.ts';
export { lsetxattr, lgetxattr, XATTR_CREATE, XATTR_REPLACE, OVERLAY_OPAQUE } from './xattr.ts';
export { flock, LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN } from './flock.ts';
export { deleteNfTable, NFPROTO_IPV4 } from './nf-tables.ts';
export { waitid, waitpid, P_ALL, P_PID, WNOHANG, WEXITED, WNOWAIT, CLD_EXITED, CLD_KILLED, CLD_DUMPED, type ChildState } from './wait.ts';
