/*
 * nsenter — the workbook's single-threaded stage for exec: joins a running
 * container and runs one more process in it (docker exec, util-linux nsenter).
 *
 * setns(2) into a mount namespace fails with EINVAL from a process whose
 * filesystem context is shared with other threads, and into a user namespace
 * from any multithreaded process: Node can do neither, so this small C
 * program does it. Which namespaces, and in which order, is decided in
 * TypeScript (the chapter's namespacesToJoin()); this program only performs it.
 *
 * usage: nsenter [--ns FILE]… --root DIR --cwd DIR [--user UID:GID[:GID,…]] [--tty] -- PROGRAM [ARG…]
 *   FILE    /proc/PID/ns/KIND of the container, in the order to join them
 *   DIR     /proc/PID/root and /proc/PID/cwd of the container's first process
 *   --user  the IDs PROGRAM runs as, inside (exec --user; resolved by the exec command in the
 *           container's /etc/passwd): supplementary groups, then gid, then uid, as login(1) does
 *   --tty   a new pseudo-terminal for PROGRAM (exec -t): we relay between it and our own stdin/stdout
 *   --caps MASK, --no-new-privs, --seccomp HEX   the container's privileges (chapter 7), as its
 *           PID 1 has them: the bounding set (and, for root, effective and permitted) cut to MASK,
 *           no_new_privs, and the seccomp filter (struct sock_filter[], hex) — docker exec's too
 *   fd 3    a socket to the exec command (see sync-socket.ts)
 *   env     the environment PROGRAM gets (and its PATH, to find it)
 *
 *   1. "ready" →  ← "go"            the host has moved us into the container's cgroup
 *   2. open every FILE and DIR      before any setns: afterwards /proc is the container's
 *   3. setns(FILE) in order         a user namespace first: it owns the others, and
 *                                   joining it makes us root *there*, with its capabilities
 *   4. fchdir(root), chroot("."), fchdir(cwd)   setns(CLONE_NEWNS) alone leaves the root
 *                                   at the namespace's own "/", not the container's pivoted one
 *   5. fork()                       setns(CLONE_NEWPID) places only children in the PID namespace
 *   6. "pid N" →, the child execs   we stay outside to pass signals on and the status back
 *      (--tty: the child is a session leader with the terminal's other end as its controlling
 *      terminal; we copy bytes both ways, our terminal raw, until the terminal hangs up)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define SYNC_FD 3
#define MAX_NS 16
#define MAX_GROUPS 64

static pid_t child = 0;

static void die(const char *what, const char *arg) {
  const char *name = strerrorname_np(errno);
  fprintf(stderr, "nsenter: %s(\"%s\"): %s (%s)\n", what, arg, name ? name : "?", strerror(errno));
  _exit(125);
}

static void say(const char *line) {
  if (write(SYNC_FD, line, strlen(line)) < 0) die("write", "sync socket");
}

static void expect(const char *line) {
  char buf[64] = {0};
  size_t n = 0;
  while (n < sizeof(buf) - 1) {
    ssize_t r = read(SYNC_FD, buf + n, 1);
    if (r <= 0) { errno = EPIPE; die("read", "sync socket: the exec command went away"); }
    if (buf[n++] == '\n') break;
  }
  if (strcmp(buf, line) != 0) { errno = EPROTO; die("read", "sync socket: unexpected message"); }
}

static volatile sig_atomic_t resized = 0;
static int tty_master = -1;

static void forward(int sig) {
  /* With a terminal, a new size goes to the terminal, whose kernel side signals its foreground group. */
  if (sig == SIGWINCH && tty_master >= 0) { resized = 1; return; }
  if (child > 0) kill(child, sig);
}

/* "UID:GID[:GID,GID…]" of --user. */
static void parse_user(const char *spec, uid_t *uid, gid_t *gid, gid_t *groups, int *ngroups) {
  char *end;
  errno = EINVAL;
  *uid = (uid_t)strtoul(spec, &end, 10);
  if (end == spec || *end != ':') die("parse --user", spec);
  const char *p = end + 1;
  *gid = (gid_t)strtoul(p, &end, 10);
  if (end == p || (*end != ':' && *end != '\0')) die("parse --user", spec);
  *ngroups = 0;
  while (*end == ':' || *end == ',') {
    p = end + 1;
    if (*p == '\0') break;
    if (*ngroups == MAX_GROUPS) die("parse --user (too many groups)", spec);
    groups[(*ngroups)++] = (gid_t)strtoul(p, &end, 10);
    if (end == p) die("parse --user", spec);
  }
}

/* "1f00…": 8-byte struct sock_filter entries, as the exec command encoded chapter 7's program. */
static struct sock_fprog parse_filter(const char *hex) {
  size_t n = strlen(hex);
  struct sock_fprog prog = {0, NULL};
  errno = EINVAL;
  if (n == 0 || n % (2 * sizeof(struct sock_filter)) != 0) die("parse --seccomp", "length");
  unsigned char *bytes = malloc(n / 2);
  if (bytes == NULL) die("malloc", "--seccomp");
  for (size_t k = 0; k < n / 2; k++) {
    unsigned int b;
    if (sscanf(hex + 2 * k, "%2x", &b) != 1) die("parse --seccomp", "hex");
    bytes[k] = (unsigned char)b;
  }
  prog.len = (unsigned short)(n / 2 / sizeof(struct sock_filter));
  prog.filter = (struct sock_filter *)bytes;
  return prog;
}

static void install_filter(struct sock_fprog *prog) {
  /* seccomp(2) has no glibc wrapper. A single-threaded process needs no TSYNC. */
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0) die("seccomp", "SECCOMP_SET_MODE_FILTER");
}

/* Capabilities (capabilities(7)): the bounding set first, while CAP_SETPCAP is there; then, for
   root, effective = permitted = the mask and inheritable none, as the container's PID 1 has them. */
static void drop_bounding(unsigned long long mask) {
  for (int cap = 0; cap <= 63; cap++) {
    if (mask & (1ULL << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) die("prctl", "PR_CAPBSET_DROP"); /* EINVAL: past cap_last_cap */
  }
}

static void set_caps(unsigned long long mask) {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {{(__u32)mask, (__u32)mask, 0}, {(__u32)(mask >> 32), (__u32)(mask >> 32), 0}};
  if (syscall(SYS_capset, &header, data) < 0) die("capset", "the container's capabilities");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) die("prctl", "PR_CAP_AMBIENT_CLEAR_ALL");
}

static void copy_size(int from, int to) {
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0) ioctl(to, TIOCSWINSZ, &ws);
}

/* Writes all of buf, or gives up on an error (the other side has gone). */
static int write_all(int fd, const char *buf, ssize_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    buf += w;
    n -= w;
  }
  return 0;
}

/* Our stdin to the terminal, the terminal to our stdout, until it hangs up (every holder of its other end is gone: EIO). */
static void relay(int master) {
  int in_open = 1;
  char buf[4096];
  for (;;) {
    if (resized) { resized = 0; copy_size(STDIN_FILENO, master); }
    struct pollfd fds[2] = {{master, POLLIN, 0}, {in_open ? STDIN_FILENO : -1, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll", "terminal");
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return; /* EIO: hung up */
      if (write_all(STDOUT_FILENO, buf, n) < 0) return;
    }
    if (in_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || write_all(master, buf, n) < 0) in_open = 0; /* our input ended: the program's goes on until it exits */
    }
  }
}

int main(int argc, char **argv) {
  const char *ns[MAX_NS];
  int nns = 0;
  const char *root = NULL, *cwd = NULL, *user = NULL, *caps = NULL, *filter = NULL;
  int tty = 0, nnp = 0;
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) { i++; break; }
    if (strcmp(argv[i], "--tty") == 0) { tty = 1; continue; }
    if (strcmp(argv[i], "--no-new-privs") == 0) { nnp = 1; continue; }
    if (i + 1 >= argc) { fprintf(stderr, "nsenter: %s needs a value\n", argv[i]); return 125; }
    if (strcmp(argv[i], "--ns") == 0 && nns < MAX_NS) ns[nns++] = argv[++i];
    else if (strcmp(argv[i], "--root") == 0) root = argv[++i];
    else if (strcmp(argv[i], "--cwd") == 0) cwd = argv[++i];
    else if (strcmp(argv[i], "--user") == 0) user = argv[++i];
    else if (strcmp(argv[i], "--caps") == 0) caps = argv[++i];
    else if (strcmp(argv[i], "--seccomp") == 0) filter = argv[++i];
    else { fprintf(stderr, "nsenter: unknown option %s\n", argv[i]); return 125; }
  }
  if (i >= argc || root == NULL || cwd == NULL) {
    fprintf(stderr, "usage: nsenter [--ns FILE]... --root DIR --cwd DIR [--user UID:GID[:GID,...]] [--tty] -- PROGRAM [ARG...]\n");
    return 125;
  }
  uid_t uid = 0;
  gid_t gid = 0, groups[MAX_GROUPS];
  int ngroups = 0;
  if (user != NULL) parse_user(user, &uid, &gid, groups, &ngroups);
  unsigned long long capmask = caps != NULL ? strtoull(caps, NULL, 16) : 0;
  struct sock_fprog prog = {0, NULL};
  if (filter != NULL) prog = parse_filter(filter);
  pid_t caller = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die("prctl", "PR_SET_PDEATHSIG");

  say("ready\n");
  expect("go\n");

  int fds[MAX_NS];
  for (int k = 0; k < nns; k++)
    if ((fds[k] = open(ns[k], O_RDONLY | O_CLOEXEC)) < 0) die("open", ns[k]);
  int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) die("open", root);
  int cwdfd = open(cwd, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cwdfd < 0) die("open", cwd);
  /* The terminal, from the host's /dev/ptmx before the mount namespace changes: pty(7).
     TIOCGPTPEER opens its other end from the master, with no path to look up (ioctl_tty(2)). */
  int slave = -1;
  if (tty) {
    if ((tty_master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) die("posix_openpt", "/dev/ptmx");
    if (grantpt(tty_master) < 0 || unlockpt(tty_master) < 0) die("unlockpt", "/dev/ptmx");
    if ((slave = ioctl(tty_master, TIOCGPTPEER, O_RDWR | O_NOCTTY)) < 0) die("ioctl", "TIOCGPTPEER");
    copy_size(STDIN_FILENO, tty_master);
  }

  for (int k = 0; k < nns; k++) {
    if (setns(fds[k], 0) < 0) die("setns", ns[k]);
    if (strstr(ns[k], "/ns/user") != NULL) {
      /* In the container's user namespace our host uid may map to nothing: become its root. */
      if (setresgid(0, 0, 0) < 0) die("setresgid", "0");
      if (setgroups(0, NULL) < 0 && errno != EPERM) die("setgroups", "0");
      if (setresuid(0, 0, 0) < 0) die("setresuid", "0");
      /* A new effective uid on the host (0 -> 100000) clears the parent-death signal (prctl(2)):
         set it again, or a SIGKILLed exec command would leave us, and the exec'd process, running. */
      if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die("prctl", "PR_SET_PDEATHSIG");
      if (getppid() != caller) _exit(125); /* it died before we could ask */
    }
    close(fds[k]);
  }
  if (fchdir(rootfd) < 0) die("fchdir", root);
  if (chroot(".") < 0) die("chroot", root);
  if (fchdir(cwdfd) < 0) die("fchdir", cwd);

  child = fork();
  if (child < 0) die("fork", "");
  if (child == 0) {
    pid_t parent = getppid(); /* 0: we are in the container's PID namespace, and nsenter is not */
    if (tty) {
      /* A session of its own, with the terminal as its controlling terminal: ^C there is its SIGINT. */
      if (setsid() < 0) die("setsid", "");
      if (ioctl(slave, TIOCSCTTY, 0) < 0) die("ioctl", "TIOCSCTTY");
      for (int fd = 0; fd <= 2; fd++)
        if (dup2(slave, fd) < 0) die("dup2", "terminal");
      if (slave > 2) close(slave);
    }
    /* Chapter 7's order: without no_new_privs the filter needs CAP_SYS_ADMIN, so it goes first. */
    if (filter != NULL && !nnp) install_filter(&prog);
    if (caps != NULL) drop_bounding(capmask);
    if (user != NULL) {
      /* Groups first, then gid, then uid: after setresuid to a non-root uid the others are out of reach.
         A user namespace whose setgroups is "deny" (rootless) refuses setgroups, even of none. */
      if (setgroups(ngroups, groups) < 0 && !(errno == EPERM && ngroups == 0)) die("setgroups", user);
      if (setresgid(gid, gid, gid) < 0) die("setresgid", user);
      if (setresuid(uid, uid, uid) < 0) die("setresuid", user);
    }
    /* A uid other than 0 lost every capability with setresuid; root gets the container's set. */
    if (caps != NULL && (user == NULL || uid == 0)) set_caps(capmask);
    if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("prctl", "PR_SET_NO_NEW_PRIVS");
    if (filter != NULL && nnp) install_filter(&prog);
    /* The exec'd process dies with us: killing `exec` must not leave it behind.
       After the change of uid, which clears it (prctl(2)). */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die("prctl", "PR_SET_PDEATHSIG");
    if (getppid() != parent) _exit(125); /* nsenter died before that: we were re-parented */
    close(SYNC_FD);
    execvpe(argv[i], argv + i, environ);
    int missing = errno == ENOENT;
    fprintf(stderr, "workbook: %s: %s\n", argv[i], missing ? "command not found in the container" : strerror(errno));
    _exit(missing ? 127 : 126);
  }
  char line[32];
  snprintf(line, sizeof line, "pid %d\n", child);
  say(line);
  close(SYNC_FD);
  int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
  for (size_t k = 0; k < sizeof forwarded / sizeof *forwarded; k++) {
    /* No SA_RESTART: a signal interrupts poll(2) and waitpid(2), which then look again. */
    struct sigaction sa = {0};
    sa.sa_handler = forward;
    sigaction(forwarded[k], &sa, NULL);
  }
  if (tty) {
    close(slave);
    /* Our own terminal raw, so every key (^C too) reaches the program's terminal as it is typed. */
    struct termios saved, raw;
    int ours = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (ours) {
      raw = saved;
      cfmakeraw(&raw);
      tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    }
    relay(tty_master);
    if (ours) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  }
  int status;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) die("waitpid", "");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
