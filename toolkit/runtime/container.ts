/**
 * What a container is, to the workbook: the settings the runner has validated.
 * The chapters' steps receive it and pass it on; it is a value, never changed
 * in place (a step that changes it, such as chapter 4 making the overlay the
 * root, returns a new one). Which step runs when: toolkit/runtime/sequence.ts.
 *
 *   host (runner, Node)                          container (first process)
 *   ───────────────────                          ─────────────────────────
 *   create: pull, upper/work/merged
 *   namespaces: unshare(flags) on the main thread, or nsexec
 *   spawn ─────────────────────────────────────▶ waits on the sync socket
 *   idmaps, prepare (cgroups, network…)
 *   "go" ──────────────────────────────────────▶ setup: mounts, pivot_root…
 *                                                execve(command)  — same PID
 *   wait, forward signals ◀───────────────────── exit status
 *   cleanup, in reverse
 */
import type { Privileges } from '../security/privileges.ts';
import type { Lease } from '../network/leases.ts';

export interface Container {
  /** Unique per run: names state files, never reused while the run lives. */
  readonly id: string;
  /** The container's name (docker's --name); also the default hostname. */
  readonly name: string;
  readonly hostname: string;
  /** Absolute path of the root filesystem on the host. */
  readonly rootfs: string;
  /** argv of the user's command; argv[0] is looked up in the container's PATH. */
  readonly command: readonly string[];
  /** The command's environment, "NAME=value" strings. */
  readonly env: readonly string[];

  /** Chapter 3 — cgroup limits (absent: no limit) and whether to print accounting at the end. */
  readonly limits: Limits;
  readonly stats: boolean;

  /** Chapter 4 — the image to run (absent: the plain rootfs), and whether to keep the writable layer. */
  readonly image?: string;
  readonly keep: boolean;
  /**
   * Chapter 4 — the image's configuration with --workdir and --user applied
   * (toolkit/image/config.ts): the working directory (absent: the chapter's
   * own "/"), and the user, as written — resolved inside the container, in its
   * own /etc/passwd (absent: root). `command` and `env` above already hold
   * the image's Entrypoint, Cmd and Env.
   */
  readonly workdir?: string;
  readonly user?: string;
  /** Ports the image says it listens on ("80/tcp"): shown, never published by themselves. */
  readonly exposedPorts?: readonly string[];
  /** Chapter 4 — host directories bound into the container (toolkit/volumes/bind.ts). */
  readonly volumes?: readonly Volume[];

  /** Chapter 5 — a network of its own on the workbook's bridge, or only loopback; published ports. */
  readonly network: 'bridge' | 'none';
  readonly publish: readonly PortMapping[];
  /** Chapter 5 — the address and link names the host side chose (set by its connectNetwork step; the child stage cannot read RUN_DIR as mapped root). */
  readonly lease?: Lease;

  /** Chapter 6 — user namespace ID mappings (empty: the chapter's default). */
  readonly uidMap: readonly IdMapping[];
  readonly gidMap: readonly IdMapping[];

  /** Chapter 8 — PID 1 is the chapter's init (docker's --init), with the command as its child. */
  readonly init?: boolean;
  /**
   * Chapter 8 — a pod: namespaces joined from another running container instead of made
   * (--network/--ipc/--pid container:NAME), by kind ("net", "ipc", "pid").
   */
  readonly join?: Readonly<Record<string, JoinedNamespace>>;
  /** Chapter 8 — a time namespace whose clocks start at these offsets, in seconds. */
  readonly timeOffsets?: { readonly monotonic?: number; readonly boottime?: number };

  /** Chapter 7 — capabilities, seccomp, masks (absent: the defaults of toolkit/security/privileges.ts). */
  readonly privileges?: Privileges;
  /**
   * Chapter 7 — `--userns host`: no user namespace of its own, so root inside
   * is the host's root and only chapter 7's walls hold it (docker's default
   * without userns-remap). Absent: chapter 6's user namespace.
   */
  readonly userns?: 'host';

  /** The runner is an ordinary user (chapter 6's rootless mode): no cgroups, no bridge, no image layers. */
  readonly rootless: boolean;
  /** No image: the rootfs itself is the root (chapters 1–3; --rootfs DIR or rootless from chapter 4 on). */
  readonly plainRootfs: boolean;
}

/** Another container's namespace to join: its name, its first process, and the namespace's link then. */
export interface JoinedNamespace {
  readonly container: string;
  readonly pid: number;
  /** "net:[4026532…]" when the container was started: a PID alone does not identify a process. */
  readonly link: string;
}

export interface Limits {
  /** Bytes (memory.max / memory.limit_in_bytes). */
  readonly memoryBytes?: number;
  /** CPUs as a fraction: 0.5 = half of one CPU (cpu.max / cpu.cfs_quota_us). */
  readonly cpus?: number;
  /** Number of tasks (pids.max). */
  readonly pids?: number;
}

/** `--volume SOURCE:TARGET[:ro]`: a host directory (resolved, checked) at a path in the container. */
export interface Volume {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

export interface PortMapping {
  readonly hostPort: number;
  readonly containerPort: number;
}

/** One line of /proc/PID/uid_map: IDs inside, first ID outside, how many (user_namespaces(7)). */
export interface IdMapping {
  readonly inside: number;
  readonly outside: number;
  readonly count: number;
}

/** The runner's one message to the child stage: the container, and which namespaces are the host's. */
export interface StartMessage {
  container: Container;
  host: { uts: string; mnt: string };
}

/** Thrown by a learner file's unfinished step, so the runner can say which one. */
export class TodoError extends Error {
  override readonly name = 'TodoError';
}

/** Marks an unfinished step in a learner file. */
export function todo(step: string): never {
  throw new TodoError(`not done yet: ${step}`);
}
