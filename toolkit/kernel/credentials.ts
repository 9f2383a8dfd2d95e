/**
 * A process's credentials: real, effective and saved user and group IDs,
 * and its supplementary groups (credentials(7)). A container's process drops
 * from root to the image's user with three calls, in this order:
 *
 *   setgroups(2)   the supplementary groups   — needs CAP_SETGID, so before…
 *   setresgid(2)   real, effective, saved gid — …the gid, which also needs CAP_SETGID,
 *   setresuid(2)   real, effective, saved uid — and the uid last: once it is not 0,
 *                  the capabilities are gone (capabilities(7), "Effect of user ID
 *                  changes on capabilities") and nothing above could be done any more.
 *
 * All three saved IDs change too (the "res" calls), so the process cannot
 * switch back. glibc applies each to every thread of the process (nptl's
 * setxid broadcast), as POSIX asks.
 * https://man7.org/linux/man-pages/man7/credentials.7.html
 * https://man7.org/linux/man-pages/man2/setgroups.2.html
 * https://man7.org/linux/man-pages/man2/setresuid.2.html
 */
import { check, libc } from './libc.ts';

const setgroups_ = libc.func('int setgroups(size_t size, const uint32_t *list)');
const setresgid_ = libc.func('int setresgid(uint32_t rgid, uint32_t egid, uint32_t sgid)');
const setresuid_ = libc.func('int setresuid(uint32_t ruid, uint32_t euid, uint32_t suid)');
const getresuid_ = libc.func('int getresuid(_Out_ uint32_t *ruid, _Out_ uint32_t *euid, _Out_ uint32_t *suid)');
const getresgid_ = libc.func('int getresgid(_Out_ uint32_t *rgid, _Out_ uint32_t *egid, _Out_ uint32_t *sgid)');

export function setgroups(groups: readonly number[]): void {
  check(setgroups_(groups.length, groups.length > 0 ? Uint32Array.from(groups) : null), 'setgroups', [String(groups.length), `[${groups.join(', ')}]`]);
}

export function setresgid(rgid: number, egid: number, sgid: number): void {
  check(setresgid_(rgid, egid, sgid), 'setresgid', [rgid, egid, sgid].map(String));
}

export function setresuid(ruid: number, euid: number, suid: number): void {
  check(setresuid_(ruid, euid, suid), 'setresuid', [ruid, euid, suid].map(String));
}

/** [real, effective, saved] user IDs. */
export function getresuid(): [number, number, number] {
  const r = [0], e = [0], s = [0];
  check(getresuid_(r, e, s), 'getresuid', []);
  return [r[0]!, e[0]!, s[0]!];
}

/** [real, effective, saved] group IDs. */
export function getresgid(): [number, number, number] {
  const r = [0], e = [0], s = [0];
  check(getresgid_(r, e, s), 'getresgid', []);
  return [r[0]!, e[0]!, s[0]!];
}
