/** The constants table against the kernel's headers, without root. */
import { describe, expect, test } from 'vitest';
import * as k from '../../toolkit/kernel/index.ts';

describe('named constants', () => {
  test('namespace flags match <linux/sched.h>', () => {
    expect([k.CLONE_NEWNS, k.CLONE_NEWCGROUP, k.CLONE_NEWUTS, k.CLONE_NEWIPC, k.CLONE_NEWUSER, k.CLONE_NEWPID, k.CLONE_NEWNET, k.CLONE_NEWTIME])
      .toEqual([0x20000, 0x2000000, 0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000, 0x80]);
  });

  test('each namespace flag is a single distinct bit', () => {
    const bits = Object.values(k.CLONE_FLAGS);
    expect(bits.every((b) => b > 0 && (b & (b - 1)) === 0)).toBe(true);
    expect(new Set(bits).size).toBe(bits.length);
  });

  test('mount flags match <linux/mount.h>', () => {
    expect({ MS_BIND: k.MS_BIND, MS_REC: k.MS_REC, MS_PRIVATE: k.MS_PRIVATE, MS_SLAVE: k.MS_SLAVE, MS_SHARED: k.MS_SHARED })
      .toEqual({ MS_BIND: 4096, MS_REC: 16384, MS_PRIVATE: 262144, MS_SLAVE: 524288, MS_SHARED: 1048576 });
    expect([k.MS_RDONLY, k.MS_NOSUID, k.MS_NODEV, k.MS_NOEXEC]).toEqual([1, 2, 4, 8]);
    expect([k.MNT_FORCE, k.MNT_DETACH, k.MNT_EXPIRE]).toEqual([1, 2, 4]);
  });

  test('flags print as names, unknown bits as hex', () => {
    expect(k.flagNames(k.MS_BIND | k.MS_REC, k.MOUNT_FLAGS)).toBe('MS_BIND|MS_REC');
    expect(k.flagNames(k.CLONE_NEWNS | k.CLONE_NEWPID, k.CLONE_FLAGS)).toBe('CLONE_NEWNS|CLONE_NEWPID');
    expect(k.flagNames(0, k.MOUNT_FLAGS)).toBe('0');
    expect(k.flagNames(k.MS_REC | 0x40000000, k.MOUNT_FLAGS)).toBe('MS_REC|0x40000000');
  });
});

describe('raw syscall numbers', () => {
  test('pivot_root is 155 on x86_64 and 41 on arm64', () => {
    expect(k.syscallNumber('pivot_root', 'x64')).toBe(155);
    expect(k.syscallNumber('pivot_root', 'arm64')).toBe(41);
    expect(k.syscallNumber('pidfd_open', 'x64')).toBe(434);
    expect(k.syscallNumber('pidfd_send_signal', 'arm64')).toBe(424);
  });

  test('an unsupported architecture is named in the error', () => {
    expect(() => k.syscallNumber('pivot_root', 'riscv64')).toThrow(/riscv64/);
  });

  test('this machine has a number', () => {
    expect(k.syscallNumber('pivot_root')).toBeGreaterThan(0);
  });
});
