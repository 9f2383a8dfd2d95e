/**
 * The last steps of a container's setup, after pivot_root and just before
 * execve(2): the image's WorkingDir and User (config.ts), inside the
 * container, so that "/etc/passwd" and "/var/www" mean the container's files
 * and not the host's. The child stage (toolkit/runtime/child.ts) calls
 * finishProcess() after the chapter's setupContainer(); a chapter that must
 * order its own steps around the change of user (chapter 7 keeps or drops
 * capabilities around it) calls changeUser() itself, and then the child
 * stage's call does nothing.
 *
 *   chdir(WorkingDir)                 while still root: any directory can be entered
 *   setgroups, setresgid, setresuid   credentials(7): groups first, the uid last
 *   HOME                              from /etc/passwd, unless the image or --env set it
 */
import fs from 'node:fs';
import { SIGKILL, chdir, isSyscallError, setParentDeathSignal } from '../kernel/index.ts';
import { getresgid, getresuid, setgroups, setresgid, setresuid } from '../kernel/credentials.ts';
import type { Container } from '../runtime/container.ts';
import { UsageError } from '../runtime/errors.ts';
import { resolveUser, type ResolvedUser } from './users.ts';

/** The user this process became, once changeUser() has run (one change per process). */
let changed: ResolvedUser | undefined;

/** Enters the image's WorkingDir (or --workdir), creating it if the image lacks it, as docker does. */
export function enterWorkingDir(c: Pick<Container, 'workdir'>): void {
  if (c.workdir === undefined) return; // the chapter's own chdir("/") stands (chapter 1 teaches why it matters)
  try {
    chdir(c.workdir);
  } catch (error) {
    if (!isSyscallError(error, 'ENOENT')) throw error;
    fs.mkdirSync(c.workdir, { recursive: true, mode: 0o755 });
    chdir(c.workdir);
  }
}

/** The container's own account files, read after pivot_root (null: not there). */
function readAccountFile(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * Becomes the image's User (or --user): resolved in the container's
 * /etc/passwd and /etc/group, then setgroups, setresgid, setresuid. Without
 * a user the process stays root. Call it once the mounts are done — after
 * it, root's powers are gone.
 */
export function changeUser(c: Pick<Container, 'user'>): ResolvedUser {
  if (changed) return changed;
  if (c.user === undefined) return { uid: getresuid()[0], gid: getresgid()[0], groups: [], home: '/root' };
  const user = resolveUser(c.user, readAccountFile('/etc/passwd'), readAccountFile('/etc/group'));
  // A user namespace whose gid_map was written without privilege has setgroups "deny"
  // (user_namespaces(7)): its process keeps the groups it has, and may not name others.
  const setgroupsDenied = readAccountFile('/proc/self/setgroups')?.trim() === 'deny';
  if (!setgroupsDenied) setgroups(user.groups);
  else if (user.groups.length > 0) throw new UsageError(`user ${c.user} has supplementary groups ${user.groups.join(',')}, but this user namespace denies setgroups(2) (rootless): run it without them`);
  setresgid(user.gid, user.gid, user.gid);
  setresuid(user.uid, user.uid, user.uid);
  // A change of credentials clears the parent-death signal (prctl(2), PR_SET_PDEATHSIG): set it
  // again, or a runner killed from here on would leave the container running as this user.
  setParentDeathSignal(SIGKILL);
  changed = user;
  return user;
}

/** The command's environment: the container's, with HOME of its user unless it is set already. */
export function processEnv(env: readonly string[], user: ResolvedUser): string[] {
  return env.some((e) => e.startsWith('HOME=')) ? [...env] : [...env, `HOME=${user.home}`];
}

/** WorkingDir, User, HOME: what the child stage does after setupContainer(); returns the command's environment. */
export function finishProcess(c: Pick<Container, 'workdir' | 'user' | 'env'>): string[] {
  enterWorkingDir(c);
  return processEnv(c.env, changeUser(c));
}
