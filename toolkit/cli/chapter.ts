/**
 * npm run chapter <N> [-- [--solution] [options] [command [args…]]]
 *
 * Runs chapter N's container program — the learner's file, or the reference
 * solution with --solution — with the command given (default: an interactive
 * /bin/sh). Without N, offers a picker.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { colors } from './colors.ts';
import { CHAPTERS, findChapter, hasWallsOf, supportsOption } from '../chapters.ts';
import { describeProcessConfig, exposureNote } from '../image/config.ts';
import { processForRun } from '../image/run-config.ts';
import { ROOTFS } from '../paths.ts';
import { ensureRootfs } from '../rootfs/build.ts';
import type { Container } from '../runtime/container.ts';
import { ChapterCompileError } from '../build/chapter.ts';
import { EXIT_SETUP_FAILED, UsageError, describeError } from '../runtime/errors.ts';
import { parseRunnerOptions, type RunnerOptions } from '../runtime/options.ts';
import { formatReference, isRegistryReference, parseReference } from '../registry/reference.ts';
import { isPulled } from '../registry/store.ts';
import { refuseHostRootfs } from '../runtime/rootfs-check.ts';
import { runContainer } from '../runtime/run.ts';
import { UNSAFE_HOST_ROOT, idMapsFor, refuseHostRoot } from '../userns/index.ts';
import { deservesStack, formatStack, todoWhere } from '../runtime/stack.ts';
import { resolveJoins, startDetached } from '../lifecycle/detach.ts';
import { loadStack, runPull, stackFiles } from '../runtime/sequence.ts';
import { explain } from './explain.ts';
import { requireBuiltRootfs, requireRoot } from './root.ts';

const USAGE = [
  'usage: npm run chapter <N> [-- [--solution] [--mine] [--explain] [--name NAME] [--hostname NAME] [--rootfs DIR] [chapter options] [--] [command [args…]]]',
  '  chapter N takes the options of every chapter up to N: 3: --memory SIZE --cpus N --pids N --stats',
  '    4: --image NAME --keep --env N=V --workdir DIR --user U[:G] --entrypoint CMD --volume HOST:PATH[:ro]',
  '    5: --network bridge|none --publish H:C   6: --uidmap I:O:N --gidmap I:O:N',
  '    7: --cap-add CAP --cap-drop CAP|ALL --privileged --security-opt seccomp=unconfined --read-only --userns host   8: --init -d   9: --image HOST:PORT/NAME:TAG (pulled first)',
  '  --solution  chapter N from solutions/     --mine  earlier chapters from your chapters/ (default: solutions/)',
  '  --explain   print the container\'s steps in order (which function of which file), run nothing',
].join('\n');

/** Rootless (chapter 6 as an ordinary user): what cannot work without root is refused, one line each, as podman does. */
const ROOTLESS_REFUSED: Readonly<Record<string, string>> = {
  '--memory': 'cgroup limits need a cgroup delegated to you (systemd\'s Delegate=yes); rootless runs have none',
  '--cpus': 'cgroup limits need a cgroup delegated to you (systemd\'s Delegate=yes); rootless runs have none',
  '--pids': 'cgroup limits need a cgroup delegated to you (systemd\'s Delegate=yes); rootless runs have none',
  '--stats': 'accounting needs a cgroup of the container\'s own, which rootless runs do not get',
  '--image': 'the image layer store is root\'s; rootless runs use the plain rootfs',
  '--keep': 'rootless runs have no image layers to keep',
  '--publish': 'published ports need the bridge and iptables, which are root\'s (podman uses slirp4netns or pasta instead)',
  '--userns': 'an ordinary user can make a container only inside a user namespace of its own (chapter 6)',
};

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

  const options = positionalImage(chapter.number, parseRunnerOptions(rest));
  const unsupported = [...options.given].filter((flag) => !supportsOption(chapter, flag));
  if (unsupported.length > 0) {
    const flag = unsupported[0]!;
    const teaching = CHAPTERS.find((c) => c.options.includes(flag));
    throw new UsageError(`${flag} is not part of chapter ${chapter.number}${teaching ? ` (chapter ${teaching.number}, ${teaching.title}, adds it)` : ''}`);
  }
  if (options.rootfs !== undefined && options.image !== undefined) {
    throw new UsageError('--rootfs and --image both name the container\'s root: give one (--rootfs DIR runs on DIR itself, --image on the image\'s layers)');
  }
  if (!options.explain) requireRoot(chapter);
  const rootless = process.getuid?.() !== 0;
  if (rootless) {
    const refused = [...options.given].find((flag) => ROOTLESS_REFUSED[flag] !== undefined);
    if (refused) throw new UsageError(`${refused} needs root: ${ROOTLESS_REFUSED[refused]}`);
    if (options.given.has('--network') && options.network === 'bridge') {
      throw new UsageError('--network bridge needs root: the bridge, veth pairs and NAT are the host\'s (rootless runs get --network none: only lo)');
    }
  }
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
  } else if (options.explain) {
    // nothing is run: the rootfs need not exist yet
  } else if (process.getuid?.() === 0) {
    ensureRootfs(rootfs, (line) => console.error(colors.dim(line)));
  } else {
    requireBuiltRootfs(rootfs);
  }

  const override = overriddenFile(chapter.number);
  const chosen = stackFiles({ chapter: chapter.number, target: options.solution ? 'solutions' : 'chapters', mine: options.mine }, CHAPTERS);
  const files = override !== undefined ? { ...chosen, [chapter.number]: override } : chosen;
  // docker pull, first of all: the image's config is read next (chapter 9 pulls from a registry).
  if (options.image !== undefined && !options.explain) await runPull(await loadStack(files), options.image);

  // No image layers below chapter 4, in chapters not built on it, with --rootfs DIR, or rootless.
  const plainRootfs = rootless || options.rootfs !== undefined || !hasWallsOf(chapter.number, 4);
  // --explain runs nothing, so it pulls nothing: it says the run would pull, and reads no config it does not have.
  const pull = options.explain && !plainRootfs && hasWallsOf(chapter.number, 9) && options.image !== undefined
    && isRegistryReference(options.image) && !fs.existsSync(options.image)
    ? { ref: options.image, inStore: isPulled(formatReference(parseReference(options.image))), commandFromImage: options.command.length === 0 && options.entrypoint === undefined }
    : undefined;
  // A pod joins another container's namespaces, and its user namespace with its maps (lifecycle/detach.ts).
  const pod = Object.keys(options.join).length > 0 ? resolveJoins(options.join) : undefined;
  if (pod?.join.user !== undefined && options.userns === 'host') {
    throw new UsageError('--userns host with --network/--ipc/--pid container:NAME: a pod shares one user namespace, and NAME has one of its own');
  }
  if (pod?.uidMap !== undefined && (options.uidMap.length > 0 || options.gidMap.length > 0)) {
    throw new UsageError('--uidmap/--gidmap with --network/--ipc/--pid container:NAME: a pod shares its user namespace, and with it the maps of NAME');
  }
  // The maps of the container's own user namespace (chapter 6 on), to check a --user against; a pod's are NAME's.
  const idMaps = hasWallsOf(chapter.number, 6) && options.userns !== 'host' && pod === undefined
    ? { uid: idMapsFor(options, 'uid'), gid: idMapsFor(options, 'gid') }
    : undefined;
  const c: Container = {
    id: crypto.randomBytes(6).toString('hex'),
    name: options.name,
    hostname: options.hostname,
    // --explain before the first run: the rootfs is built only when something runs.
    rootfs: options.explain && !fs.existsSync(rootfs) ? path.resolve(rootfs) : fs.realpathSync(rootfs),
    // The image's Entrypoint, Cmd, Env, WorkingDir and User, with --entrypoint, the command, --env, --workdir, --user over them.
    ...processForRun(options, rootfs, pull?.inStore === false ? 'not pulled' : !plainRootfs, idMaps),
    limits: options.limits,
    stats: options.stats,
    ...(options.image !== undefined ? { image: options.image } : {}),
    keep: options.keep,
    network: rootless ? 'none' : options.network,
    publish: options.publish,
    uidMap: pod?.uidMap ?? options.uidMap,
    gidMap: pod?.gidMap ?? options.gidMap,
    ...(options.init ? { init: true } : {}),
    ...(pod !== undefined ? { join: pod.join } : {}),
    ...(Object.keys(options.timeOffsets).length > 0 ? { timeOffsets: options.timeOffsets } : {}),
    privileges: options.privileges,
    ...(options.userns !== undefined ? { userns: options.userns } : {}),
    rootless,
    plainRootfs,
  };
  if (options.explain) {
    console.log(explain(chapter.number, files, c, pull));
    // What the process will be: the image's config with the command line's overrides (ExposedPorts included).
    if (pull?.inStore === false) {
      // Only what the command line says: the image's own part is not known before the pull.
      const given = (l: string) => (l.startsWith('command:') && !pull.commandFromImage) || (l.startsWith('user:') && options.user !== undefined)
        || (l.startsWith('workdir:') && options.workdir !== undefined) || l.startsWith('env:');
      const own = describeProcessConfig(c).filter(given).map((l) => (l.startsWith('env:') ? `${l} (and the image's Env)` : l));
      console.log(`\n${colors.bold('process')} (the command line's part: the image's Entrypoint, Cmd, Env, WorkingDir, User and ExposedPorts are read once it is pulled)\n${own.map((l) => `  ${l}`).join('\n')}`);
    } else {
      console.log(`\n${colors.bold('process')} (the image's config and the options over it)\n${describeProcessConfig(c).map((l) => `  ${l}`).join('\n')}`);
    }
    return 0;
  }
  // ExposedPorts only document; at a terminal, say which the image listens on (publishing is chapter 5's).
  const exposed = exposureNote(c);
  if (exposed !== null && process.stderr.isTTY) console.error(colors.dim(`workbook: the image exposes ${exposed}`));
  if (options.detach) return startDetached(files, c);
  return runContainer(files, c, { say: (line) => console.error(colors.yellow(`workbook: ${line}`)) });
}

/**
 * docker run's `IMAGE [COMMAND…]`: from chapter 9 on, a registry reference where the command
 * begins (127.0.0.1:5000/workbook/web:latest — a host with a dot, a port, or localhost) is the
 * image, as --image would name it; what follows is the command.
 */
function positionalImage(chapter: number, options: RunnerOptions): RunnerOptions {
  const [word, ...rest] = options.command;
  if (options.image !== undefined || word === undefined || !hasWallsOf(chapter, 9) || !isRegistryReference(word)) return options;
  return { ...options, image: word, command: rest[0] === '--' ? rest.slice(1) : rest, given: new Set([...options.given, '--image']) };
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
      console.error(`${colors.red('workbook:')} the chapter does not compile (npm run typecheck lists every type error)\n${error.message}`);
      process.exit(EXIT_SETUP_FAILED);
    }
    console.error(`${colors.red('workbook:')} ${describeError(error)}`);
    const where = todoWhere(error);
    if (where) console.error(colors.dim(where));
    // A bad image (read here for its config) is one line, like a bad option; 125 as docker run says "could not create".
    const oneLine = error instanceof UsageError || (error instanceof Error && (error.name === 'SyscallError' || error.name === 'ImageError'));
    if (!oneLine && deservesStack(error)) console.error(colors.dim(formatStack(error)));
    process.exit(error instanceof UsageError ? 2 : error instanceof Error && error.name === 'ImageError' ? 125 : 1);
  },
);
