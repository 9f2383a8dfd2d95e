/** Chapter 7's pure parts: capability arithmetic, its options, the BPF interpreter. */
import { describe, expect, test } from 'vitest';
import { capabilitiesIn, capabilityMask, capabilityNumber, hex } from '../../toolkit/kernel/capabilities.ts';
import {
  AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W,
  SECCOMP_DATA_ARCH, SECCOMP_DATA_NR, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS,
  bpfJump, bpfStmt, disassemble, verdictName,
} from '../../toolkit/kernel/seccomp.ts';
import { parseRunnerOptions } from '../../toolkit/runtime/options.ts';
import { runFilter } from '../../toolkit/security/bpf-run.ts';
import { DEFAULT_PRIVILEGES, keptCapabilities, keptMask } from '../../toolkit/security/privileges.ts';
import { DENIED_SYSCALLS } from '../../toolkit/security/syscalls.ts';

describe('capabilities', () => {
  test("docker's 14 defaults are the mask 00000000a80425fb", () => {
    expect(hex(keptMask(DEFAULT_PRIVILEGES, 40))).toBe('00000000a80425fb');
    expect(keptCapabilities(DEFAULT_PRIVILEGES, 40)).toHaveLength(14);
  });

  test('--cap-drop then --cap-add, ALL on either side, --privileged keeps every one this kernel has', () => {
    const p = (o: Partial<typeof DEFAULT_PRIVILEGES>) => ({ ...DEFAULT_PRIVILEGES, ...o });
    expect(keptMask(p({ capDrop: ['ALL'], capAdd: ['NET_BIND_SERVICE'] }), 40)).toBe(0x400n);
    expect(keptMask(p({ capDrop: ['NET_RAW'] }), 40)).toBe(0xa80425fbn & ~(1n << 13n));
    expect(keptMask(p({ capAdd: ['ALL'] }), 40)).toBe((1n << 41n) - 1n);
    expect(keptMask(p({ privileged: true }), 37)).toBe((1n << 38n) - 1n);
  });

  test('names with or without CAP_, any case; masks both ways', () => {
    expect(capabilityNumber('cap_sys_admin')).toBe(21);
    expect(capabilityNumber('FLY')).toBeUndefined();
    expect(capabilitiesIn(capabilityMask([0, 13, 31]))).toEqual([0, 13, 31]);
  });
});

describe('chapter 7 options', () => {
  test('parsed up front, with docker\'s spellings', () => {
    const o = parseRunnerOptions(['--cap-add', 'sys_time', '--cap-drop', 'CAP_NET_RAW,mknod', '--security-opt', 'seccomp=unconfined', '--read-only', 'id']);
    expect(o.privileges).toEqual({ capAdd: ['SYS_TIME'], capDrop: ['NET_RAW', 'MKNOD'], privileged: false, seccomp: false, noNewPrivileges: true, readOnlyRootfs: true });
    expect(parseRunnerOptions(['--security-opt', 'no-new-privileges=false']).privileges.noNewPrivileges).toBe(false);
  });

  test('bad values get one message of the usual form', () => {
    expect(() => parseRunnerOptions(['--cap-add', 'FLY'])).toThrow(/Expected --cap-add to be a capability name/);
    expect(() => parseRunnerOptions(['--security-opt', 'apparmor=docker-default'])).toThrow(/Expected --security-opt/);
  });
});

describe('seccomp programs', () => {
  const program = [
    bpfStmt(BPF_LD | BPF_W | BPF_ABS, SECCOMP_DATA_ARCH),
    bpfJump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    bpfStmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    bpfStmt(BPF_LD | BPF_W | BPF_ABS, SECCOMP_DATA_NR),
    bpfJump(BPF_JMP | BPF_JEQ | BPF_K, 165, 0, 1),
    bpfStmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
    bpfStmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  ];

  test('the interpreter answers as the kernel would', () => {
    expect(verdictName(runFilter(program, { arch: AUDIT_ARCH_X86_64, nr: 165 }))).toBe('ERRNO(1)');
    expect(verdictName(runFilter(program, { arch: AUDIT_ARCH_X86_64, nr: 39 }))).toBe('ALLOW');
    expect(verdictName(runFilter(program, { arch: AUDIT_ARCH_I386, nr: 21 }))).toBe('KILL_PROCESS');
    expect(() => runFilter(program.slice(0, 5), { arch: AUDIT_ARCH_X86_64, nr: 1 })).toThrow(/without a ret/);
  });

  test('disassembly names the fields and verdicts', () => {
    const text = disassemble(program, (k) => (k === 165 ? 'mount' : ''));
    expect(text).toContain('seccomp_data.arch');
    expect(text).toMatch(/jeq #0xa5, 005, 006 +; mount/);
    expect(text).toContain('KILL_PROCESS');
  });

  test('every denied call has a number on x86_64, and the shared ones on arm64 too', () => {
    for (const s of DENIED_SYSCALLS) expect(s.x64, s.name).toBeTypeOf('number');
    expect(DENIED_SYSCALLS.filter((s) => s.arm64 === undefined).map((s) => s.name).sort()).toEqual(['ioperm', 'iopl', 'uselib']);
  });
});
