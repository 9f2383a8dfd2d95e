/**
 * Namespaces: unshare(2) moves the caller into new namespaces, setns(2) joins
 * an existing one. https://man7.org/linux/man-pages/man7/namespaces.7.html
 *
 * In Node both act on the calling *thread* only (the main thread), and
 * children spawned afterwards inherit what that thread has. CLONE_NEWPID is
 * different: the caller stays where it is and only its next child is born as
 * PID 1 of the new namespace (pid_namespaces(7)).
 */
import { CLONE_FLAGS, flagNames } from './constants.ts';
import { check, libc } from './libc.ts';

const unshare_ = libc.func('int unshare(int flags)');
const setns_ = libc.func('int setns(int fd, int nstype)');

/** https://man7.org/linux/man-pages/man2/unshare.2.html */
export function unshare(flags: number): void {
  check(unshare_(flags), 'unshare', [flagNames(flags, CLONE_FLAGS)]);
}

/**
 * https://man7.org/linux/man-pages/man2/setns.2.html — `fd` is an open
 * /proc/PID/ns/* file; `what` names it in an error message.
 */
export function setns(fd: number, nstype: number, what = `fd ${fd}`): void {
  check(setns_(fd, nstype), 'setns', [what, flagNames(nstype, CLONE_FLAGS)]);
}
