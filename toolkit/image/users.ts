/**
 * Who a container's process runs as. An image names its user the way
 * config.md's User does — "www", "1000", "1000:50", "www:staff" — and the
 * names mean what the *image's* /etc/passwd and /etc/group say, never the
 * host's: uid 1000 may be "alice" on the host and "www" in the image.
 *
 *   /etc/passwd   name:password:UID:GID:gecos:HOME:shell      passwd(5)
 *   /etc/group    name:password:GID:member,member…            group(5)
 *
 * The rules are runc's (libcontainer/user): a name must be in passwd; a
 * number need not be (then gid 0 and HOME=/); with a named user and no
 * explicit group, the groups that list the user as a member become its
 * supplementary groups.
 * https://man7.org/linux/man-pages/man5/passwd.5.html
 * https://man7.org/linux/man-pages/man5/group.5.html
 */
import { UsageError } from '../runtime/errors.ts';
import { parseUserSpec } from './config.ts';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** The uid, gid, supplementary groups and home directory the process gets. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  groups: number[];
  home: string;
}

/** The highest ID a user namespace can map (user_namespaces(7): 4294967295 is "no ID"). */
const MAX_ID = 2 ** 32 - 2;

const id = (text: string | undefined): number | undefined => (text !== undefined && /^\d+$/.test(text) && Number(text) <= MAX_ID ? Number(text) : undefined);

/** A number past MAX_ID is no name to look up: it is a value no user namespace can map. */
const outOfRange = (what: 'uid' | 'gid', text: string) => `${what} ${text} is out of range (0..${MAX_ID})`;

export function parsePasswd(text: string): PasswdEntry[] {
  return lines(text).flatMap((fields) => {
    const [name, , uid, gid, , home] = fields;
    return name && id(uid) !== undefined && id(gid) !== undefined ? [{ name, uid: id(uid)!, gid: id(gid)!, home: home || '/' }] : [];
  });
}

export function parseGroup(text: string): GroupEntry[] {
  return lines(text).flatMap((fields) => {
    const [name, , gid, members] = fields;
    return name && id(gid) !== undefined ? [{ name, gid: id(gid)!, members: (members ?? '').split(',').filter(Boolean) }] : [];
  });
}

function lines(text: string): string[][] {
  return text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).map((l) => l.split(':'));
}

/**
 * Resolves `spec` against the image's files (null: the image has no such
 * file). Throws one line for a name that is not there.
 */
export function resolveUser(spec: string, passwdText: string | null, groupText: string | null): ResolvedUser {
  const { user, group } = parseUserSpec(spec);
  const passwd = parsePasswd(passwdText ?? '');
  const groups = parseGroup(groupText ?? '');

  const byName = passwd.find((p) => p.name === user);
  const uid = byName?.uid ?? id(user);
  if (uid === undefined) {
    if (/^\d+$/.test(user)) throw new UsageError(outOfRange('uid', user));
    throw new UsageError(`unable to find user ${user}: ${passwdText === null ? 'the image has no /etc/passwd' : "no matching entry in the image's /etc/passwd"}`);
  }
  // A numeric uid takes the passwd entry's gid and home if there is one, as login(1) would.
  const entry = byName ?? passwd.find((p) => p.uid === uid);

  if (group !== undefined) {
    const gid = groups.find((g) => g.name === group)?.gid ?? id(group);
    if (gid === undefined) {
      if (/^\d+$/.test(group)) throw new UsageError(outOfRange('gid', group));
      throw new UsageError(`unable to find group ${group}: ${groupText === null ? 'the image has no /etc/group' : "no matching entry in the image's /etc/group"}`);
    }
    return { uid, gid, groups: [], home: entry?.home ?? '/' };
  }
  // Supplementary groups only when the user was named and the group was left to the files.
  const member = entry ? groups.filter((g) => g.members.includes(entry.name)).map((g) => g.gid) : [];
  return { uid, gid: entry?.gid ?? 0, groups: [...new Set(member)], home: entry?.home ?? '/' };
}
