/** Failed system calls read like strace, with the errno's name — checked without root. */
import { describe, expect, test } from 'vitest';
import { CLONE_NEWUSER, MS_BIND, MS_REC, SyscallError, chdir, errnoName, isSyscallError, mount } from '../../toolkit/kernel/index.ts';
import { unshare } from '../../toolkit/kernel/namespaces.ts';

describe('SyscallError', () => {
  test('names errno values as <errno.h> does', () => {
    expect([errnoName(1), errnoName(2), errnoName(22), errnoName(13)]).toEqual(['EPERM', 'ENOENT', 'EINVAL', 'EACCES']);
    expect(errnoName(9999)).toBe('errno 9999');
  });

  test('a real failure carries the call, the path and the errno name', () => {
    let error: unknown;
    try {
      chdir('/no/such/dir');
    } catch (e) {
      error = e;
    }
    expect(isSyscallError(error, 'ENOENT')).toBe(true);
    expect((error as SyscallError).message).toBe('chdir("/no/such/dir"): ENOENT (No such file or directory)');
  });

  test('flags appear as names', () => {
    const error = new SyscallError('mount', 22, ['"/a"', '"/b"', 'NULL', 'MS_BIND|MS_REC'], 'Invalid argument');
    expect(error.message).toBe('mount("/a", "/b", NULL, MS_BIND|MS_REC): EINVAL (Invalid argument)');
    expect(error.code).toBe('EINVAL');
  });

  test('mount of a missing path fails with the flags spelt out', () => {
    expect(() => mount('/no/such/source', '/no/such/target', null, MS_BIND | MS_REC)).toThrow(
      /^mount\("\/no\/such\/source", "\/no\/such\/target", NULL, MS_BIND\|MS_REC\): (ENOENT|EPERM)/,
    );
  });

  test('unshare(CLONE_NEWUSER) is refused to multithreaded Node: the reason for nsexec', () => {
    expect(() => unshare(CLONE_NEWUSER)).toThrow('unshare(CLONE_NEWUSER): EINVAL (Invalid argument)');
  });
});
