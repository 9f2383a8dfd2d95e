/**
 * Prints chapter 7's seccomp filter as BPF instructions, the way the kernel
 * will run it: yours, or the reference with --solution; for this machine's
 * architecture or the one named (x64, arm64).
 *
 *   node --import tsx toolkit/security/show-filter.ts [--solution] [x64|arm64]
 */
import { chapterFile, findChapter } from '../chapters.ts';
import { disassemble, type SockFilter } from '../kernel/seccomp.ts';
import { describeError } from '../runtime/errors.ts';
import { CLONE_NAMESPACE_FLAGS, X32_SYSCALL_BIT, syscallName } from './syscalls.ts';

const args = process.argv.slice(2);
const arch = args.find((a) => a === 'x64' || a === 'arm64') ?? process.arch;
const file = chapterFile(findChapter(7)!, args.includes('--solution') ? 'solutions' : 'chapters');
try {
  const { buildSeccompFilter } = (await import(file)) as { buildSeccompFilter(arch: string): SockFilter[] };
  const program = buildSeccompFilter(arch);
  const names = (k: number) => {
    if (k === 0xc000003e) return 'AUDIT_ARCH_X86_64';
    if (k === 0xc00000b7) return 'AUDIT_ARCH_AARCH64';
    if (k === X32_SYSCALL_BIT) return '__X32_SYSCALL_BIT';
    if (k === CLONE_NAMESPACE_FLAGS) return 'CLONE_NEW* flags';
    return arch === 'x64' || arch === 'arm64' ? syscallName(arch, k) : '';
  };
  console.log(`${program.length} instructions, ${arch}:\n${disassemble(program, names)}`);
} catch (error) {
  console.error(`workbook: ${describeError(error)}`);
  process.exit(1);
}
