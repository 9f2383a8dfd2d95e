/*
 * nsexec — the workbook's single-threaded stage.
 *
 * The kernel refuses unshare(CLONE_NEWUSER) to a process with more than one
 * thread (unshare(2), EINVAL), and Node always has several. runc hits the
 * same wall with Go and solves it with a C program that runs before the Go
 * runtime starts (libcontainer/nsenter/nsexec.c). This is our version, kept
 * to the few steps that truly need a single thread; everything else stays in
 * TypeScript where the learner writes it.
 *
 * usage: nsexec [--join FD]... FLAGS PROGRAM [ARG...]
 *   FD      an open /proc/PID/ns/KIND of another container to join instead of
 *           making that kind (a pod, chapter 8), in the order given: its user
 *           namespace first, which owns the others
 *   FLAGS   clone flags as a decimal number; must include CLONE_NEWUSER
 *   fd 3    a socket to the runner (see sync-socket.ts)
 *
 *   1. unshare(CLONE_NEWUSER)         we are its only member, without a uid yet;
 *      or setns(2) each FD            a pod: the other container's user namespace
 *                                     and the kinds it shares are joined, not made
 *      and unshare(CLONE_NEWTIME)     a time namespace owned by that user namespace,
 *                                     whose offsets the runner writes in step 2
 *   2. "userns" →  ← "mapped"        the runner writes uid_map and gid_map (unless
 *                                     joined: they are the pod's) and timens_offsets
 *   3. setresgid/setresuid(0)         become root *of the namespace*, so the
 *                                     execve below keeps the capabilities; that
 *                                     change of uid clears PR_SET_PDEATHSIG: set it again
 *   4. unshare(the other flags)       these namespaces are owned by the new user namespace
 *   5. fork() if CLONE_NEWPID         only a child is born into a new (or joined) PID namespace,
 *                                     and into the time namespace;
 *                                     we stay to pass signals and the exit status on
 *   6. "pid N" →, execve(PROGRAM)     the child stage (node), as PID 1
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define SYNC_FD 3
#define MAX_JOIN 8

static pid_t child = 0;

static void die(const char *what) {
  fprintf(stderr, "nsexec: %s: %s\n", what, strerrorname_np(errno) ? strerrorname_np(errno) : strerror(errno));
  _exit(125);
}

static void say(const char *line) {
  if (write(SYNC_FD, line, strlen(line)) < 0) die("write(sync socket)");
}

static void expect(const char *line) {
  char buf[64] = {0};
  size_t n = 0;
  while (n < sizeof(buf) - 1) {
    ssize_t r = read(SYNC_FD, buf + n, 1);
    if (r <= 0) die("read(sync socket): runner went away");
    if (buf[n++] == '\n') break;
  }
  if (strcmp(buf, line) != 0) { errno = EPROTO; die("read(sync socket): unexpected message"); }
}

static void forward(int sig) {
  if (child > 0) kill(child, sig);
}

int main(int argc, char **argv) {
  int join[MAX_JOIN], njoin = 0;
  while (argc >= 3 && strcmp(argv[1], "--join") == 0 && njoin < MAX_JOIN) {
    join[njoin++] = atoi(argv[2]);
    argv += 2;
    argc -= 2;
  }
  if (argc < 3) { fprintf(stderr, "usage: nsexec [--join FD]... FLAGS PROGRAM [ARG...]\n"); return 125; }
  int flags = atoi(argv[1]);
  if (!(flags & CLONE_NEWUSER)) { fprintf(stderr, "nsexec: FLAGS must include CLONE_NEWUSER: the user namespace is what nsexec is for\n"); return 125; }
  int newpid = flags & CLONE_NEWPID;
  pid_t runner = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die("prctl(PR_SET_PDEATHSIG)");

  /* A pod: each kind joined is not made. A user namespace among them replaces the one we would
     make, so the namespaces made next are owned by it, like the joined ones: its root administers them all. */
  for (int k = 0; k < njoin; k++) {
    int type = ioctl(join[k], NS_GET_NSTYPE);
    if (type < 0) die("ioctl(NS_GET_NSTYPE) of a namespace to join");
    if (setns(join[k], type) < 0) die(type == CLONE_NEWUSER ? "setns(user namespace)" : "setns(joined namespace)");
    close(join[k]);
    flags &= ~type;
    if (type == CLONE_NEWPID) newpid = 1; /* pid_for_children: only a child is in it */
  }
  /* CLONE_NEWTIME with the user namespace, so the runner can write its offsets while we wait. */
  int first = (flags & CLONE_NEWUSER) | (flags & CLONE_NEWTIME);
  if (first != 0 && unshare(first) < 0) die(first & CLONE_NEWUSER ? "unshare(CLONE_NEWUSER)" : "unshare(CLONE_NEWTIME)");
  flags &= ~(CLONE_NEWUSER | CLONE_NEWTIME);
  say("userns\n");
  expect("mapped\n");
  if (setresgid(0, 0, 0) < 0) die("setresgid(0)");
  if (setgroups(0, NULL) < 0 && errno != EPERM) die("setgroups"); /* EPERM: setgroups is "deny" (rootless) */
  if (setresuid(0, 0, 0) < 0) die("setresuid(0)");
  /* A new effective uid on the host (0 -> 100000) clears the parent-death signal (prctl(2)):
     without this, a runner killed with SIGKILL would leave us and the container running. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die("prctl(PR_SET_PDEATHSIG)");
  if (getppid() != runner) _exit(125); /* it died before we could ask */

  if (flags != 0 && unshare(flags) < 0) die("unshare(namespace flags)");

  if (newpid) {
    child = fork();
    if (child < 0) die("fork");
    if (child > 0) {
      char line[32];
      snprintf(line, sizeof line, "pid %d\n", child);
      say(line);
      close(SYNC_FD);
      int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
      for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++) signal(forwarded[i], forward);
      int status;
      while (waitpid(child, &status, 0) < 0)
        if (errno != EINTR) die("waitpid");
      if (WIFSIGNALED(status)) { /* die the same way, so the runner sees the signal */
        signal(WTERMSIG(status), SIG_DFL);
        kill(getpid(), WTERMSIG(status));
      }
      return WIFEXITED(status) ? WEXITSTATUS(status) : 125;
    }
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die("prctl(PR_SET_PDEATHSIG)");
  } else {
    char line[32];
    snprintf(line, sizeof line, "pid %d\n", getpid());
    say(line);
  }
  execv(argv[2], argv + 2);
  die("execv(PROGRAM)");
}
