/**
 * Chapter 6's mutants, in the shape of tests/mutants/mutants.ts: the reference
 * solution with one TODO step left out or done the usual wrong way. Each is
 * caught from the host — /proc/PID/ns/user against the host's, /proc/PID/uid_map
 * and gid_map, the owners of the writable layer on disk — or, when the
 * container never reaches its command, by the runner's error (diagnose()).
 */
import type { ChapterMutant } from './07-privileges.ts';

const MAPS = 'the user namespace and its maps';

export const CHAPTER_6_MUTANTS: readonly ChapterMutant[] = [
  { chapter: 6, step: '6.1', name: 'no user namespace', replace: [['  return CLONE_NEWUSER;', '  return 0 & CLONE_NEWUSER;']], checks: MAPS },
  { chapter: 6, step: '6.2', name: 'no uid map', replace: [["  if (canWriteIdMap('uid', uids)) writeProcFile(`/proc/${pid}/uid_map`, mapText(uids));\n  else newIdMap('uid', pid, uids);", '  if (pid < 0) newIdMap(\'uid\', pid, uids);']], checks: MAPS },
  { chapter: 6, step: '6.2', name: 'uid_map as OUTSIDE INSIDE COUNT', replace: [['writeProcFile(`/proc/${pid}/uid_map`, mapText(uids));', "writeProcFile(`/proc/${pid}/uid_map`, uids.map((m) => `${m.outside} ${m.inside} ${m.count}\\n`).join(''));"]], checks: MAPS },
  { chapter: 6, step: '6.3', name: 'no gid map', replace: [["    writeProcFile(`/proc/${pid}/gid_map`, mapText(gids));", '']], checks: MAPS },
  { chapter: 6, step: '6.3', name: 'gid_map before setgroups deny', replace: [["    if (rootless()) writeProcFile(`/proc/${pid}/setgroups`, 'deny');\n    writeProcFile(`/proc/${pid}/gid_map`, mapText(gids));", "    writeProcFile(`/proc/${pid}/gid_map`, mapText(gids));\n    if (rootless()) writeProcFile(`/proc/${pid}/setgroups`, 'deny');"]], checks: 'an ordinary user runs' },
  { chapter: 6, step: '6.4', name: 'writable layer left to host root', replace: [['  for (const dir of writableDirs(c)) fs.chownSync(dir, uid, gid);', '  for (const dir of writableDirs(c)) if (dir === String(uid + gid)) fs.chownSync(dir, uid, gid);']], checks: 'belong to the unprivileged uid' },
  { chapter: 6, step: '6.4', name: 'hostId: the ID inside, not outside', replace: [['  return m.outside + (id - m.inside);', '  return id;']], checks: 'belong to the unprivileged uid' },
];
