/**
 * Chapter 8's mutants, in the shape of tests/mutants/mutants.ts: the reference
 * solution with one TODO step left out or done the usual wrong way. Each was
 * graded with --bail 1 (npm run selftest -- --proofs --chapter 8): the first
 * failing check names its step (TODO 8.N) for all 11. `checks` keeps each to
 * the checks about its step (selftest time).
 */
import type { ChapterMutant } from './07-privileges.ts';

export const CHAPTER_8_MUTANTS: readonly ChapterMutant[] = [
  { chapter: 8, step: '8.1', name: 'the command exec\'d: PID 1 again',
    replace: [["import { P_ALL, WEXITED, WNOHANG, WNOWAIT, waitid, waitpid } from '../../toolkit/kernel/index.ts';", "import { P_ALL, WEXITED, WNOHANG, WNOWAIT, execve, waitid, waitpid } from '../../toolkit/kernel/index.ts';"],
      ["return spawn(argv[0]!, argv.slice(1), { stdio: 'inherit', env });", 'void spawn; void env;\n  return execve(argv[0]!, [...argv], c.env);']],
    checks: 'PID 1 is the init' },
  { chapter: 8, step: '8.2', name: 'no signal forwarded', replace: [['for (const signal of FORWARDED_SIGNALS) {', 'for (const signal of FORWARDED_SIGNALS.slice(0, 0)) {']], checks: 'SIGTERM to the container' },
  { chapter: 8, step: '8.2', name: 'only SIGTERM forwarded', replace: [['for (const signal of FORWARDED_SIGNALS) {', "for (const signal of ['SIGTERM'] as const) {"]], checks: 'every signal' },
  { chapter: 8, step: '8.3', name: 'orphans looked at, never collected', replace: [['    waitpid(child.pid, 0);\n    reaped++;', '    return reaped;']], checks: 'orphans leave no zombie' },
  { chapter: 8, step: '8.4', name: 'a killed app exits 0', replace: [['return 128 + (signal !== null ? os.constants.signals[signal] : 0);', 'return 0;']], checks: 'SIGTERM to the container|exit codes' },
  { chapter: 8, step: '8.5', name: 'the PID namespace not joined', replace: [["['user', 'cgroup', 'ipc', 'uts', 'net', 'pid', 'time', 'mnt'] as const", "['user', 'cgroup', 'ipc', 'uts', 'net', 'time', 'mnt'] as const"]], checks: 'exec joins' },
  { chapter: 8, step: '8.6', name: 'the exec stage left in the caller\'s cgroup', replace: [['  addProcessToCgroup(cgroupOf(c), pid);', '  void addProcessToCgroup; void cgroupOf; void c; void pid;']], checks: 'exec joins' },
  { chapter: 8, step: '8.7', name: 'a pod that joins nothing', replace: [['    fds.push(fd);', '    fs.closeSync(fd);']], checks: 'sidecar' },
  { chapter: 8, step: '8.7', name: 'a pod without its user namespace', replace: [["['user', 'net', 'ipc', 'pid'] as const", "['net', 'ipc', 'pid'] as const"]], checks: 'sidecar' },
  { chapter: 8, step: '8.8', name: 'no time namespace', replace: [['return c.timeOffsets !== undefined ? CLONE_NEWTIME : 0;', 'void CLONE_NEWTIME;\n  return 0;']], checks: 'boottime' },
  { chapter: 8, step: '8.8', name: 'offsets never written', replace: [['  fs.writeFileSync(`/proc/${pid}/timens_offsets`, lines);', '  void lines; void pid;']], checks: 'boottime' },
];
