/**
 * The live demos: one fixed command per chapter, run with the chapter's
 * reference solution. The browser names a demo by its id and nothing else,
 * so this table is the complete list of what the slides server can run.
 *
 * Every command ends by itself within a few seconds; the time limit is only
 * the safety net. A chapter's demo is offered once its reference solution
 * exists, so chapters still being written join without a change here.
 */
import fs from 'node:fs';
import { CHAPTERS, chapterFile, type ChapterInfo } from '../chapters.ts';

export interface Demo {
  /** What the browser sends: "chapter-2". */
  readonly id: string;
  readonly chapter: number;
  /** Runner options and command, after `npm run chapter N -- --solution`. */
  readonly args: readonly string[];
  /** One line for the audience: what to look for in the output. */
  readonly watchFor: string;
  /** The runner's exit status when all went as it should: 137 for a hog killed by the OOM killer. */
  readonly expectedStatus: number;
  /** Then SIGTERM to the runner (which passes it on), then SIGKILL. */
  readonly timeLimitMs: number;
}

const SECONDS = 1000;

/** Chapter number → its demo. */
const TABLE: Readonly<Record<number, Omit<Demo, 'id' | 'chapter'>>> = {
  1: {
    args: ['--', '/bin/sh', '-c', 'echo "PID $$"; echo "/ is:" $(ls /); echo "breakout /etc/hostname:"; breakout /etc/hostname'],
    watchFor: "a host-sized PID, the rootfs as /, and breakout printing the HOST's hostname",
    expectedStatus: 0,
    timeLimitMs: 20 * SECONDS,
  },
  2: {
    args: ['--hostname', 'demo-box', '--', '/bin/sh', '-c', 'echo PID $$; hostname; ps'],
    watchFor: 'PID 1, the hostname demo-box, and ps showing only the container',
    expectedStatus: 0,
    timeLimitMs: 20 * SECONDS,
  },
  3: {
    args: ['--memory', '32m', '--pids', '50', '--stats', '--', '/bin/sh', '-c', 'echo "eating memory until the kernel says no"; tail /dev/zero'],
    watchFor: 'the OOM killer ends the hog at 32 MiB: exit 137 (128 + SIGKILL), "OOM kills 1"',
    expectedStatus: 137,
    timeLimitMs: 30 * SECONDS,
  },
  4: {
    args: ['--image', 'demo', '--', '/bin/sh', '-c',
      'cat /etc/motd; grep PRETTY /etc/os-release; ls /etc/profile; echo "changed" > /etc/motd; rm /etc/os-release; echo "now /etc has:" $(ls /etc)'],
    watchFor: "layer 3's motd, layer 2's os-release, profile whited out; run it again: the image is unchanged",
    expectedStatus: 0,
    timeLimitMs: 30 * SECONDS,
  },
  5: {
    args: ['--', '/bin/sh', '-c', 'echo "eth0:" $(ip -4 addr show eth0 | grep inet); ip route; set -- $(ip route | grep default); ping -c 1 -W 2 "$3"'],
    watchFor: 'eth0 with a 10.200.x.y address, a default route via the bridge, and one ping answered',
    expectedStatus: 0,
    timeLimitMs: 30 * SECONDS,
  },
  6: {
    args: ['--', '/bin/sh', '-c', 'id; cat /proc/self/uid_map; ls -lnd / /etc; mknod /tmp/null c 1 3; touch /etc/x'],
    watchFor: 'root inside, uid 100000 outside; host files owned by 65534; mknod and touch refused',
    expectedStatus: 1, // touch's refusal
    timeLimitMs: 20 * SECONDS,
  },
  7: {
    args: ['--', '/bin/sh', '-c',
      'grep -E "CapEff|NoNewPrivs|Seccomp:" /proc/self/status; escape-probe; echo "/dev:" $(ls /dev); su -s /bin/sh -c setuid-probe user'],
    watchFor: "CapEff a80425fb (docker's 14), NoNewPrivs 1, Seccomp 2; every escape step refused (core_pattern EACCES: chapter 6's user namespace; EROFS with --userns host); the setuid probe stays euid 1000",
    expectedStatus: 1, // setuid-probe: "did not gain root"
    timeLimitMs: 30 * SECONDS,
  },
  8: {
    args: ['--network', 'none', '--init', '--', '/bin/sh', '-c',
      'for i in $(seq 20); do (sleep 1 &); done; sleep 2; ps -o pid,ppid,stat,comm; echo "zombies:" $(ps -o stat | grep -c Z); kill -TERM 1; sleep 5'],
    watchFor: 'PID 1 is the init (node), sh its child; no Z after 20 orphans; kill -TERM 1 is passed on to sh: exit 143',
    expectedStatus: 143,
    timeLimitMs: 30 * SECONDS,
  },
  9: {
    // Needs `npm run registry` running (the deck says so); the pull happens when the image is not in the store yet.
    args: ['--image', '127.0.0.1:5000/workbook/multi:latest', '--', '/bin/sh', '-c', 'echo "platform: $(cat /etc/platform)"; cat /etc/motd'],
    watchFor: "the first run pulls (per-layer lines; the shared base 'already in the store'), then this machine's platform from the index",
    expectedStatus: 0,
    timeLimitMs: 30 * SECONDS,
  },
};

/** The demos whose chapter is in the manifest and whose reference solution exists, in chapter order. */
export function availableDemos(chapters: readonly ChapterInfo[] = CHAPTERS): Demo[] {
  return chapters.flatMap((chapter) => {
    const entry = TABLE[chapter.number];
    if (!entry || !fs.existsSync(chapterFile(chapter, 'solutions'))) return [];
    return [{ id: `chapter-${chapter.number}`, chapter: chapter.number, ...entry }];
  });
}

/** The same demo as a learner types it, for the slide and the handout. */
export function commandLine(demo: Pick<Demo, 'chapter' | 'args'>): string {
  return ['npm', 'run', 'chapter', String(demo.chapter), '--', '--solution', ...demo.args.map(shellQuote)].join(' ');
}

/** Quotes a word for sh only when it needs it: 'echo PID $$; hostname'. */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** For the deck pages, built without a server: the demo of a chapter even if its solution is not there yet. */
export function demoForChapter(chapter: number): Demo | undefined {
  const entry = TABLE[chapter];
  return entry ? { id: `chapter-${chapter}`, chapter, ...entry } : undefined;
}
