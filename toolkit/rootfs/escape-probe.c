/*
 * escape-probe — chapter 7's battery: the first step of known container
 * escapes, each tried in a way that does no harm when the wall is missing.
 * One line per probe: "NAME RESULT", RESULT an errno name (EPERM, EROFS…),
 * "ok" when the step worked, or what was found.
 *
 *   core_pattern   open /proc/sys/kernel/core_pattern for append; nothing is written
 *   sysrq          open /proc/sysrq-trigger for writing; nothing is written
 *   kcore          open and read 1 byte of /proc/kcore: "absent", "masked" (empty) or "readable"
 *   mknod          mknod /dev/.probe-kmsg c 1 11 (the kernel log); removed at once if made
 *   mount          mount a tmpfs on /tmp inside the container's own mount namespace; unmounted at once
 *   unshare        unshare(CLONE_NEWUSER) in a child that exits: root of a new user namespace has every capability
 *   clone          clone(CLONE_NEWUSER) in a child that exits at once
 *   setns          setns() into the probe's own UTS namespace
 *   ptrace         PTRACE_TRACEME in a child that exits at once
 *   keyctl         read the id of the session keyring
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *name, long result, int err) {
  printf("%s %s\n", name, result >= 0 ? "ok" : (strerrorname_np(err) ? strerrorname_np(err) : "error"));
}

/* Runs fn in a child; reports the child's verdict (exit 0: ok, exit N: errno N, killed: the signal). */
static void in_child(const char *name, int (*fn)(void)) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) { report(name, -1, errno); return; }
  if (pid == 0) _exit(fn());
  int status;
  if (waitpid(pid, &status, 0) < 0) { report(name, -1, errno); return; }
  if (WIFSIGNALED(status)) printf("%s killed-by-%s\n", name, sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "signal");
  else report(name, WEXITSTATUS(status) == 0 ? 0 : -1, WEXITSTATUS(status));
}

static int do_unshare(void) { return unshare(CLONE_NEWUSER) == 0 ? 0 : errno; }
static int do_ptrace(void) { return ptrace(PTRACE_TRACEME, 0, 0, 0) == 0 ? 0 : errno; }
static int do_clone(void) {
  long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) _exit(0);
  if (pid < 0) return errno;
  waitpid((pid_t)pid, 0, 0);
  return 0;
}

int main(void) {
  int fd = open("/proc/sys/kernel/core_pattern", O_WRONLY | O_APPEND);
  report("core_pattern", fd, errno);
  if (fd >= 0) close(fd);

  fd = open("/proc/sysrq-trigger", O_WRONLY);
  if (fd < 0 && errno == ENOENT) printf("sysrq absent\n");
  else report("sysrq", fd, errno);
  if (fd >= 0) close(fd);

  fd = open("/proc/kcore", O_RDONLY);
  if (fd < 0) printf("kcore %s\n", errno == ENOENT ? "absent" : strerrorname_np(errno));
  else {
    char c;
    printf("kcore %s\n", read(fd, &c, 1) == 1 ? "readable" : "masked");
    close(fd);
  }

  long r = mknod("/dev/.probe-kmsg", S_IFCHR | 0600, makedev(1, 11));
  report("mknod", r, errno);
  if (r == 0) unlink("/dev/.probe-kmsg");

  r = mount("probe", "/tmp", "tmpfs", 0, "size=16k");
  report("mount", r, errno);
  if (r == 0) umount2("/tmp", MNT_DETACH);

  in_child("unshare", do_unshare);
  in_child("clone", do_clone);

  fd = open("/proc/self/ns/uts", O_RDONLY);
  r = fd < 0 ? -1 : setns(fd, CLONE_NEWUTS);
  report("setns", r, errno);
  if (fd >= 0) close(fd);

  in_child("ptrace", do_ptrace);

  r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
  report("keyctl", r, errno);
  return 0;
}
