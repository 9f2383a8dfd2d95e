/**
 * npm run chapter <N> [-- [--solution] [options] [command [args…]]]
 *
 * Runs chapter N's container program — the learner's file, or the reference
 * solution with --solution — with the command given (default: an interactive
 * /bin/sh). Without N, offers a picker.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import chalk from 'chalk';
import { CHAPTERS, chapterFile, findChapter, supportsOption } from '../chapters.ts';
import { exposureNote } from '../image/config.ts';
import { processForRun } from '../image/run-config.ts';
import { ROOTFS } from '../paths.ts';
import { ensureRootfs } from '../rootfs/build.ts';
import type { Container } from '../runtime/container.ts';
import { ChapterCompileError, importChapter } from '../build/chapter.ts';
import { EXIT_SETUP_FAILED, UsageError, describeError } from '../runtime/errors.ts';
import { parseRunnerOptions } from '../runtime/options.ts';
import { refuseHostRootfs } from '../runtime/rootfs-check.ts';
import { runContainer } from '../runtime/run.ts';
import { UNSAFE_HOST_ROOT, refuseHostRoot } from '../userns/index.ts';
import { deservesStack, formatStack } from '../runtime/stack.ts';
import { resolveJoins, startDetached } from '../lifecycle/detach.ts';
import { requireBuiltRootfs, requireRoot } from './root.ts';

const USAGE = 'usage: npm run chapter <N> [-- [--solution] [--name NAME] [--hostname NAME] [--rootfs DIR] [chapter options] [--] [command [args…]]]\n  chapter options: 3: --memory SIZE --cpus N --pids N --stats   4: --image NAME --keep --env N=V --workdir DIR --user U[:G] --entrypoint CMD --volume HOST:PATH[:ro]   5: --network bridge|none --publish H:C   6: --uidmap I:O:N --gidmap I:O:N --unsafe-map-host-root   7: --cap-add CAP --cap-drop CAP|ALL --privileged --security-opt seccomp=unconfined --read-only   8: --init -d   9: --image HOST:PORT/NAME:TAG (pulled first)';

async function main(argv: string[]): Promise<number> {
  let [first, ...rest] = argv;
  if (first === undefined || first === '--') {
    // Loaded only here: the prompt library is not needed to start a container.
    const { pickChapter } = await import('./picker.ts');
    const picked = await pickChapter();
    if (picked === null) return 2;
    first = String(picked);
  }
  if (first === '--help' || first === '-h') {
    console.log(USAGE);
    return 0;
  }
  const chapter = /^\d+$/.test(first) ? findChapter(Number(first)) : undefined;
  if (!chapter) throw new UsageError(`Expected a chapter number (${CHAPTERS.map((c) => c.number).join(', ')}), got ${JSON.stringify(first)} (see npm run chapter -- --help)`);
  if (rest[0] === '--') rest = rest.slice(1);

  const options = parseRunnerOptions(rest);
  const unsupported = [...options.given].filter((flag) => !supportsOption(chapter, flag));
  if (unsupported.length > 0) {
    const flag = unsupported[0]!;
    const teaching = CHAPTERS.find((c) => c.options.includes(flag));
    throw new UsageError(`${flag} is not part of chapter ${chapter.number}${teaching ? ` (chapter ${teaching.number}, ${teaching.title}, adds it)` : ''}`);
  }
  requireRoot(chapter);
  if (process.geteuid?.() === 0) {
    refuseHostRoot('uid', options.uidMap, options.given.has(UNSAFE_HOST_ROOT));
    refuseHostRoot('gid', options.gidMap, options.given.has(UNSAFE_HOST_ROOT));
  }
  const rootfs = options.rootfs ?? ROOTFS;
  if (options.rootfs !== undefined) {
    if (!fs.existsSync(options.rootfs) || !fs.statSync(options.rootfs).isDirectory()) {
      throw new UsageError(`rootfs not found: ${options.rootfs} is not a directory`);
    }
    refuseHostRootfs(options.rootfs);
  } else if (process.getuid?.() === 0) {
    ensureRootfs(rootfs, (line) => console.error(chalk.dim(line)));
  } else {
    requireBuiltRootfs(rootfs);
  }

  const file = overriddenFile(chapter.number) ?? chapterFile(chapter, options.solution ? 'solutions' : 'chapters');
  if (options.image !== undefined) await (await importChapter(file)).pull?.(options.image);

  const c: Container = {
    id: crypto.randomBytes(6).toString('hex'),
    name: options.name,
    hostname: options.hostname,
    rootfs: fs.realpathSync(rootfs),
    // The image's Entrypoint, Cmd, Env, WorkingDir and User, with --entrypoint, the command, --env, --workdir, --user over them.
    ...processForRun(options, rootfs, supportsOption(chapter, '--image')),
    limits: options.limits,
    stats: options.stats,
    ...(options.image !== undefined ? { image: options.image } : {}),
    keep: options.keep,
    network: options.network,
    publish: options.publish,
    uidMap: options.uidMap,
    gidMap: options.gidMap,
    ...(options.init ? { init: true } : {}),
    ...(Object.keys(options.join).length > 0 ? { join: resolveJoins(options.join) } : {}),
    ...(Object.keys(options.timeOffsets).length > 0 ? { timeOffsets: options.timeOffsets } : {}),
    privileges: options.privileges,
  };
  // ExposedPorts only document; at a terminal, say which the image listens on (publishing is chapter 5's).
  const exposed = exposureNote(c);
  if (exposed !== null && process.stderr.isTTY) console.error(chalk.dim(`workbook: the image exposes ${exposed}`));
  if (options.detach) return startDetached(file, c);
  return runContainer(file, c, { say: (line) => console.error(chalk.yellow(`workbook: ${line}`)) });
}

/**
 * WORKBOOK_CHAPTER_FILE=N:path runs that file as chapter N instead — how the
 * selftest grades its mutants and cheaters (tests/mutants/README.md).
 */
function overriddenFile(chapter: number): string | undefined {
  const m = /^(\d+):(.+)$/.exec(process.env.WORKBOOK_CHAPTER_FILE ?? '');
  if (!m || Number(m[1]) !== chapter) return undefined;
  if (!fs.existsSync(m[2]!)) throw new UsageError(`WORKBOOK_CHAPTER_FILE: ${m[2]} does not exist`);
  return fs.realpathSync(m[2]!);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ChapterCompileError) {
      // The learner's file does not compile: where, the line, and how to see every error at once.
      console.error(`${chalk.red('workbook:')} the chapter does not compile (npm run typecheck lists every type error)\n${error.message}`);
      process.exit(EXIT_SETUP_FAILED);
    }
    console.error(`${chalk.red('workbook:')} ${describeError(error)}`);
    // A bad image (read here for its config) is one line, like a bad option; 125 as docker run says "could not create".
    const oneLine = error instanceof UsageError || (error instanceof Error && (error.name === 'SyscallError' || error.name === 'ImageError'));
    if (!oneLine && deservesStack(error)) console.error(chalk.dim(formatStack(error)));
    process.exit(error instanceof UsageError ? 2 : error instanceof Error && error.name === 'ImageError' ? 125 : 1);
  },
);
