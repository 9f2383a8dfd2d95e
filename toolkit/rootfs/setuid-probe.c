/*
 * setuid-probe [SECONDS] — a setuid-root program, installed mode 4755 owned
 * by root, as /bin/su or /usr/bin/passwd are on a real system. Run by an
 * ordinary user it becomes euid 0 — unless no_new_privs is set, which makes
 * execve(2) ignore the setuid bit (and file capabilities).
 *
 * Prints "uid=R euid=E", then stays SECONDS (default 0) so the host can read
 * /proc/PID/status. Exit 0 if it gained root (euid 0 while uid is not), 1 if not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  uid_t uid = getuid(), euid = geteuid();
  printf("uid=%d euid=%d\n", (int)uid, (int)euid);
  fflush(stdout);
  if (argc > 1) sleep((unsigned)atoi(argv[1]));
  return euid == 0 && uid != 0 ? 0 : 1;
}
