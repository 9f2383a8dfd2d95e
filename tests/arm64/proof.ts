/**
 * The toolkit's arm64 numbers, checked against the running kernel (the arm64 guest runs this as root:
 * node --import tsx tests/arm64/proof.ts). Each check makes the real system call and looks at the
 * kernel's answer, which a wrong number would change:
 *
 *   - pivot_root is 41 (syscall-numbers.ts): syscall(41, "/nonexistent…", …) fails with ENOENT, the
 *     path lookup of pivot_root(2). On arm64, x86_64's 155 is getpgid(2), which answers otherwise.
 *   - chapter 7's seccomp filter (solutions/07-privileges, AUDIT_ARCH_AARCH64 from seccomp.ts), in a
 *     child process: before it, mount(2) of a tmpfs on a missing directory fails with ENOENT and
 *     add_key(2) of a "user" key succeeds; after it, both fail with EPERM, and getpid(2) still works.
 *   - the same filter built for x64 (AUDIT_ARCH_X86_64) kills the process at its next system call
 *     (SIGSYS): the architecture check looks at the real value, it is not always true.
 *
 * Prints one line per check and exits 1 if any failed.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import koffi from '../../toolkit/kernel/koffi.ts';
import { libc } from '../../toolkit/kernel/libc.ts';
import { setNoNewPrivs } from '../../toolkit/kernel/prctl.ts';
import { AUDIT_ARCH_AARCH64, auditArch, seccompSetModeFilter } from '../../toolkit/kernel/seccomp.ts';
import { syscallNumber } from '../../toolkit/kernel/syscall-numbers.ts';
import { DENIED_SYSCALLS } from '../../toolkit/security/syscalls.ts';
import { buildSeccompFilter } from '../../solutions/07-privileges/container.ts';

const syscall = libc.func('long syscall(long number, ...)');
const strerror = libc.func('const char *strerror(int errnum)');
const ERRNO: Record<number, string> = { 1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 22: 'EINVAL' };

/** "0" or "-1 ENOENT": the result of a raw call, the way strace shows it. */
function answer(result: unknown): string {
  if (Number(result) !== -1) return String(Number(result));
  const e = koffi.errno();
  return `-1 ${ERRNO[e] ?? e} (${strerror(e) as string})`;
}

const nr = (name: string) => {
  const s = DENIED_SYSCALLS.find((d) => d.name === name);
  const n = s?.[process.arch as 'x64' | 'arm64'];
  if (n === undefined) throw new Error(`${name}: no ${process.arch} number in toolkit/security/syscalls.ts`);
  return n;
};
const mountOnMissing = () => answer(syscall(nr('mount'), 'const char *', 'none', 'const char *', '/nonexistent-arm64-proof', 'const char *', 'tmpfs', 'unsigned long', 0, 'void *', null));
const addKey = () => answer(syscall(nr('add_key'), 'const char *', 'user', 'const char *', 'arm64-proof', 'const char *', 'x', 'size_t', 1, 'int', -2 /* KEY_SPEC_PROCESS_KEYRING */));

// The child: `proof.ts child ARCH` installs chapter 7's filter built for ARCH and reports.
if (process.argv[2] === 'child') {
  const lines = [`before: mount ${mountOnMissing()}; add_key ${addKey()}`];
  setNoNewPrivs();
  seccompSetModeFilter(buildSeccompFilter(process.argv[3]!));
  lines.push(`after: mount ${mountOnMissing()}; add_key ${addKey()}; getpid ${answer(syscall(process.arch === 'arm64' ? 172 : 39))}`);
  console.log(lines.join('\n'));
  process.exit(0);
}

let failed = 0;
function report(ok: boolean, what: string, detail: string): void {
  if (!ok) failed++;
  console.log(`arm64-proof: ${ok ? 'ok  ' : 'FAIL'} ${what}: ${detail}`);
}

report(process.arch === 'arm64' && os.machine() === 'aarch64', 'the machine', `process.arch ${process.arch}, uname -m ${os.machine()}, uname -r ${os.release()}`);
report(syscallNumber('pivot_root') === 41, "pivot_root's number on this machine", String(syscallNumber('pivot_root')));
const pivot = answer(syscall(syscallNumber('pivot_root'), 'const char *', '/nonexistent-arm64-proof', 'const char *', '/nonexistent-arm64-proof/old'));
report(pivot.startsWith('-1 ENOENT'), `syscall(${syscallNumber('pivot_root')}, "/nonexistent…", "/nonexistent…/old")`, pivot);
report(auditArch() === AUDIT_ARCH_AARCH64, "seccomp's architecture on this machine", `0x${auditArch().toString(16)}`);

const child = (arch: string) => spawnSync(process.execPath, [...process.execArgv, import.meta.filename, 'child', arch], { encoding: 'utf8' });
const other = process.arch === 'arm64' ? 'x64' : 'arm64';
const own = child(process.arch);
const out = own.stdout.trim();
report(
  own.status === 0 && /^before: mount -1 ENOENT.*; add_key \d+$/m.test(out) && /^after: mount -1 EPERM.*; add_key -1 EPERM.*; getpid \d+$/m.test(out),
  `chapter 7's filter built for ${process.arch}, in a child`,
  `exit ${own.status ?? own.signal}; ${out.replace(/\n/g, ' | ') || own.stderr.trim().split('\n').slice(-3).join(' | ')}`,
);
const wrong = child(other);
report(
  wrong.signal === 'SIGSYS' && !/^after:/m.test(wrong.stdout),
  `the same filter built for ${other} (audit arch 0x${auditArch(other).toString(16)})`,
  `child ended by ${wrong.signal ?? `exit ${wrong.status}`} right after installing it`,
);
process.exit(failed === 0 ? 0 : 1);
