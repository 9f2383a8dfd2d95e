/**
 * The child stage: the container's first process, before it becomes the
 * user's command. It runs as plain JavaScript (see bundle.ts), already inside
 * the namespaces the runner made for it, and as PID 1 when there is a new
 * PID namespace.
 *
 *   1. die with the runner (PR_SET_PDEATHSIG), never outlive it
 *   2. wait on fd 3 until the runner has prepared the host side
 *   3. run the stack's setup steps (sequence.ts) — mounts, pivot_root, hostname —
 *      then the image's WorkingDir and User (finishProcess) — with stdout
 *      pointed at stderr: what reaches stdout is the command's, never the setup's
 *   4. say "exec" on fd 3, give the command its stdout back, and execve it:
 *      same PID, so the command is PID 1 (or, with an init, say "init" and run it)
 */
import fs from 'node:fs';
import path from 'node:path';
import { FD_CLOEXEC, F_SETFD, SIGKILL, execve, isSyscallError, peerClosed, protectHostNamespaces, setParentDeathSignal } from '../kernel/index.ts';
import { waitReadable } from '../kernel/poll.ts';
import { finishProcess } from '../image/process.ts';
import { pauseForTest } from '../test-pause.ts';
import { libc } from '../kernel/libc.ts';
import type { Container, StartMessage } from './container.ts';
import { EXIT_COMMAND_NOT_EXECUTABLE, EXIT_COMMAND_NOT_FOUND, EXIT_SETUP_FAILED, describeError } from './errors.ts';
import { deservesStack, formatStack, todoWhere } from './stack.ts';
import { runSetup, type StackModules } from './sequence.ts';

const SYNC_FD = 3;
const fcntl = libc.func('int fcntl(int fd, int cmd, ...)');
const dup2 = libc.func('int dup2(int oldfd, int newfd)');
/** fcntl(2): duplicate onto the lowest free fd ≥ arg, close-on-exec — <asm-generic/fcntl.h>. */
const F_DUPFD_CLOEXEC = 1030;

export async function childStage(stack: StackModules): Promise<never> {
  pauseForTest('child-start');
  setParentDeathSignal(SIGKILL);
  // A runner killed before that prctl sent us no signal, and may have said "go" already. Its end of the
  // sync socket closed when it died: then stop here, before anything of the container runs (nsexec.c checks getppid()).
  if (peerClosed(SYNC_FD)) process.exit(EXIT_SETUP_FAILED);
  const line = readLine(SYNC_FD);
  if (line === null) process.exit(EXIT_SETUP_FAILED); // the runner is gone; nothing to do
  const { container: c, host } = JSON.parse(line) as StartMessage;
  protectHostNamespaces(host);
  // The socket must not leak into the command; its closing tells the runner that exec happened.
  fcntl(SYNC_FD, F_SETFD, 'int', FD_CLOEXEC);
  // Until the exec, whatever the setup prints goes to stderr: what reaches
  // stdout is the command's own output (dup2(2)), never the setup's.
  const stdout = fcntl(1, F_DUPFD_CLOEXEC, 'int', 10);
  dup2(2, 1);

  let env = [...c.env];
  try {
    runSetup(stack, c);
    // The image's WorkingDir and User, inside the container's own files (toolkit/image/process.ts).
    env = finishProcess(c);
    // A change of user cleared the parent-death signal until it was set again: a runner that died in between is seen here.
    if (c.user !== undefined && peerClosed(SYNC_FD)) process.exit(EXIT_SETUP_FAILED);
  } catch (error) {
    fail(`container setup failed: ${describeError(error)}`, EXIT_SETUP_FAILED, error);
  }

  const [name, ...args] = c.command;
  const file = lookPath(name!, env);
  // The init of the top chapter that has one (chapter 8's, also in chapter 9's container).
  const runInit = initOf(stack);
  if (c.init === true && runInit !== undefined) {
    // PID 1 stays: the chapter's init starts the command as its child (chapter 8).
    fs.writeSync(SYNC_FD, 'init\n');
    dup2(stdout, 1);
    fs.closeSync(SYNC_FD);
    try {
      await runInit({ ...c, env }, [file, ...args]);
    } catch (error) {
      fail(`init failed: ${describeError(error)}`, EXIT_SETUP_FAILED, error);
    }
  }
  // The runner hears "exec", then end-of-file when execve closes fd 3: an exit
  // without them is a setup that never let the command run.
  fs.writeSync(SYNC_FD, 'exec\n');
  dup2(stdout, 1);
  try {
    execve(file, [name!, ...args], env);
  } catch (error) {
    if (isSyscallError(error, 'ENOENT')) fail(`${name}: command not found in the container`, EXIT_COMMAND_NOT_FOUND);
    if (isSyscallError(error, 'EACCES')) fail(`${name}: permission denied (not executable?)`, EXIT_COMMAND_NOT_EXECUTABLE);
    fail(`cannot run ${name}: ${describeError(error)}`, EXIT_COMMAND_NOT_EXECUTABLE);
  }
}

/**
 * The runner's one line on the sync socket, read as it comes: this process
 * has nothing else to do until then, so a blocking read(2) serves, and a
 * socket stream (node:net, the costliest module this stage would load) is
 * not needed. Null at end of file: the runner is gone.
 */
function readLine(fd: number): string | null {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(65536);
  for (;;) {
    let got: number;
    try {
      got = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (error) {
      // Non-blocking after all (O_NONBLOCK is the sender's choice to make): wait for data, then read.
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
        waitReadable(fd);
        continue;
      }
      throw error;
    }
    if (got === 0) return null;
    const nl = buf.subarray(0, got).indexOf(10);
    if (nl >= 0) {
      chunks.push(Buffer.from(buf.subarray(0, nl)));
      return Buffer.concat(chunks).toString('utf8');
    }
    chunks.push(Buffer.from(buf.subarray(0, got)));
  }
}

type Init = (c: Container, argv: readonly string[]) => Promise<never>;

function initOf(stack: StackModules): Init | undefined {
  const top = Object.keys(stack).map(Number).sort((a, b) => b - a).find((n) => typeof stack[n]?.runInit === 'function');
  return top !== undefined ? (stack[top]!.runInit as Init) : undefined;
}

/** The first PATH entry (the container's PATH, after setup) holding an executable `name`, like execvp(3). */
function lookPath(name: string, env: readonly string[]): string {
  if (name.includes('/')) return name;
  const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/sbin:/usr/bin:/sbin:/bin';
  for (const dir of pathVar.split(':')) {
    const candidate = path.join(dir || '.', name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return name; // execve will say ENOENT
}

/**
 * Red at a terminal, as chalk would do it; chalk itself is not loaded here:
 * it costs this stage, which runs on every container start, more than koffi.
 */
function red(text: string): string {
  return process.stderr.isTTY && process.env.NO_COLOR === undefined ? `\x1b[31m${text}\x1b[39m` : text;
}

function fail(message: string, code: number, error?: unknown): never {
  process.stderr.write(`${red('workbook:')} ${message}\n`);
  // A bug in the chapter's own code (not a system call, not a TODO) deserves its stack, in .ts lines.
  if (deservesStack(error)) process.stderr.write(`${formatStack(error)}
`);
  // An unfinished step: the learner's line to fill in.
  const where = todoWhere(error);
  if (where) process.stderr.write(`${where}\n`);
  process.exit(code);
}
