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
 * usage: nsenter [--ns FILE]… --root DIR --cwd DIR -- PROGRAM [ARG…]
 *   FILE    /proc/PID/ns/KIND of the container, in the order to join them
 *   DIR     /proc/PID/root and /proc/PID/cwd of the container's first process
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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define SYNC_FD 3
#define MAX_NS 16

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

static void forward(int sig) {
  if (child > 0) kill(child, sig);
}

int main(int argc, char **argv) {
  const char *ns[MAX_NS];
  int nns = 0;
  const char *root = NULL, *cwd = NULL;
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) { i++; break; }
    if (i + 1 >= argc) { fprintf(stderr, "nsenter: %s needs a value\n", argv[i]); return 125; }
    if (strcmp(argv[i], "--ns") == 0 && nns < MAX_NS) ns[nns++] = argv[++i];
    else if (strcmp(argv[i], "--root") == 0) root = argv[++i];
    else if (strcmp(argv[i], "--cwd") == 0) cwd = argv[++i];
    else { fprintf(stderr, "nsenter: unknown option %s\n", argv[i]); return 125; }
  }
  if (i >= argc || root == NULL || cwd == NULL) {
    fprintf(stderr, "usage: nsenter [--ns FILE]... --root DIR --cwd DIR -- PROGRAM [ARG...]\n");
    return 125;
  }
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
    /* The exec'd process dies with us: killing `exec` must not leave it behind. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die("prctl", "PR_SET_PDEATHSIG");
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
  for (size_t k = 0; k < sizeof forwarded / sizeof *forwarded; k++) signal(forwarded[k], forward);
  int status;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) die("waitpid", "");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
