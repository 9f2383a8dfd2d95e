#!/bin/busybox sh
# /init of the arm64 guest (see README.md). Runs as PID 1, twice:
#
#   stage 1 (no argument): / is the initramfs itself ("rootfs"), where pivot_root(2) fails with
#     EINVAL — so bind it onto itself, move that mount over / and chroot there, as stage 2.
#   stage 2: mount proc, sys, dev and cgroup2, then the parts the host asked for (ARM64_PARTS in
#     /etc/arm64-guest.env), each reported on a line "arm64-guest: PART ok|FAILED (N s)"; then
#     ARM64-EXIT=<number of failed parts> on a marker line the host looks for, and power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

if [ "$1" != stage2 ]; then
  # Debian's files came unpacked without maintainer scripts: busybox's applets fill in the rest
  # of a userland (sh, mount, cp …); an existing file (util-linux's nsenter) is kept.
  /bin/busybox --install -s
  # Not a copy of everything into a tmpfs (400 MiB, slow under emulation): / bound onto a
  # directory of its own and that mount moved over /, then chroot into it. The new root is then
  # a mount with a parent, which is what pivot_root(2) asks of the caller's root; and it is the
  # topmost mount at the namespace's root, so the kernel does not count it as a chroot either
  # (which would refuse CLONE_NEWUSER with EPERM).
  mkdir -p /newroot
  mount --bind / /newroot
  cd /newroot || exit 1
  mount --move . /
  exec chroot . /init stage2
  echo "ARM64-GUEST-ERROR chroot failed"
  exit 1
fi

say() { echo "arm64-guest: [guest $(cut -d' ' -f1 /proc/uptime) s] $*"; }
# shellcheck source=/dev/null
. /etc/arm64-guest.env

# shellcheck source=../support/guest-init.sh
. /guest-init.sh
guest_mounts
insmod /lib/modules/overlay.ko || echo "ARM64-GUEST-ERROR insmod overlay.ko failed"
ip link set lo up 2>/dev/null
hostname arm64-guest

say "uname -r $(uname -r), uname -m $(uname -m), $(nproc) CPUs, $(awk '/MemTotal/ { print int($2 / 1024) " MiB" }' /proc/meminfo)"
say "node $(node --version) $(node -p 'process.arch + " " + process.config.variables.host_arch'), $(cc --version | head -n 1)"

# Controllers delegated down to a slice with no process, the shell in a scope below it, as
# systemd leaves a login session (the workbook walks up to the slice: toolkit/cgroups/layout.ts).
cg=/sys/fs/cgroup
echo '+cpu +memory +pids' > $cg/cgroup.subtree_control
mkdir -p $cg/ci.slice/runner.scope
echo '+cpu +memory +pids' > $cg/ci.slice/cgroup.subtree_control
echo $$ > $cg/ci.slice/runner.scope/cgroup.procs

cd /project || exit 1
export HOME=/root TERM=dumb CI=true WORKBOOK_TARGET=solutions WORKBOOK_TIME_SCALE="$ARM64_SCALE"
failed=0
part() { # part NAME COMMAND…: runs it, reports ok/FAILED and the time it took
  name=$1; shift
  t=$(cut -d' ' -f1 /proc/uptime)
  say "$name: $*"
  if "$@"; then verdict=ok; else verdict="FAILED (exit $?)"; failed=$((failed + 1)); fi
  say "$name $verdict ($(awk -v t="$t" '{ printf "%.0f", $1 - t }' /proc/uptime) s)"
}
vitest() {
  node node_modules/vitest/vitest.mjs run --config tests/vitest.config.ts \
    --testTimeout="$ARM64_TEST_TIMEOUT" --hookTimeout="$ARM64_TEST_TIMEOUT" "$@"
}

# The rootfs and nsexec, built by the toolkit itself with the guest's busybox and gcc (arm64).
part rootfs node --import tsx toolkit/cli/rootfs.ts
say "rootfs: $(cat /var/lib/workbook/rootfs/etc/workbook-release 2>/dev/null); its busybox: $(od -An -tx1 -j18 -N2 /var/lib/workbook/rootfs/bin/busybox | tr -d ' ') (e_machine b7 00 = EM_AARCH64)"

for p in $ARM64_PARTS; do
  case "$p" in
    unit) part unit vitest tests/unit ;;
    proof) part proof node --import tsx tests/arm64/proof.ts ;;
    chapter2)
      part chapter2-suite vitest --reporter tests/support/reporter.ts tests/chapters/02-namespaces.test.ts
      # The reference container once more, by hand: its root is the rootfs (pivot_root worked), and it
      # may create a user namespace (no seccomp before chapter 7; the control for chapter 7 below).
      chapter2() {
        out=$(node toolkit/run.mjs toolkit/cli/chapter.ts 2 --solution -- sh -c \
          'echo "pid $$ on $(hostname), root: $(ls / | tr "\n" " ")"; unshare -U true && echo "unshare -U: ok"' 2>&1)
        echo "$out"
        echo "$out" | grep -q '^pid 1 on ' && echo "$out" | grep -q '^unshare -U: ok$'
      }
      part chapter2-container chapter2
      ;;
    chapter7)
      # Chapter 7's reference container, looked at from outside while it runs: Seccomp: 2 (a filter),
      # and inside: unshare(2) gets EPERM from the filter (a user namespace needs no capability, so
      # nothing else refuses it: with seccomp=unconfined the same call works), ordinary work runs.
      # --network none: chapter 5's bridge needs the bridge and veth modules and iptables, which
      # this guest does not have. --userns host: chapter 6's shifted layers mark directories with
      # user.* xattrs, which tmpfs has only since Linux 6.6 (here 6.1: ENOTSUP). Neither is what
      # this guest proves.
      chapter7() {
        node toolkit/run.mjs toolkit/cli/chapter.ts 7 --solution --network none --userns host -- sh -c \
          'echo "inside: $(id)"; ls /bin >/dev/null && echo "ordinary work: ok"
           unshare -U true; echo "unshare -U: exit $?"; mount -t tmpfs none /tmp; echo "mount: exit $?"; sleep 600' \
          > /tmp/ch7.out 2>&1 &
        runner=$!
        pid=
        for _ in $(seq 1 240); do
          pid=$(pidof sleep 2>/dev/null | awk '{ print $1 }')
          [ -n "$pid" ] && break
          kill -0 "$runner" 2>/dev/null || break
          sleep 1
        done
        [ -n "$pid" ] || { echo "the container's sleep never started"; cat /tmp/ch7.out; kill "$runner" 2>/dev/null; return 1; }
        status=$(grep -E '^(Seccomp|Seccomp_filters|NoNewPrivs|CapEff):' "/proc/$pid/status" | tr '\t\n' '  ')
        echo "outside, /proc/$pid/status: $status"
        # SIGKILL: the container's PID 1 (busybox sh execs its last command) takes no other signal
        # from outside its namespace without a handler (pid_namespaces(7)).
        kill -KILL "$pid"; wait "$runner"
        cat /tmp/ch7.out
        unconfined=$(node toolkit/run.mjs toolkit/cli/chapter.ts 7 --solution --network none --userns host --security-opt seccomp=unconfined -- \
          sh -c 'unshare -U true; echo "unshare -U: exit $?"' 2>&1)
        echo "with --security-opt seccomp=unconfined: $unconfined"
        echo "$status" | grep -q 'Seccomp: 2 ' &&
          grep -q '^ordinary work: ok' /tmp/ch7.out &&
          grep -q 'unshare.*Operation not permitted' /tmp/ch7.out &&
          grep -q '^unshare -U: exit 1' /tmp/ch7.out &&
          echo "$unconfined" | grep -q '^unshare -U: exit 0'
      }
      part chapter7-container chapter7
      ;;
    grade7) part chapter7-suite vitest --reporter tests/support/reporter.ts tests/chapters/07-privileges.test.ts ;;
    *) say "unknown part $p"; failed=$((failed + 1)) ;;
  esac
done

left=$(find $cg -mindepth 1 -type d -name 'workbook-*')
say "workbook cgroups left: ${left:-none}"
[ -z "$left" ] || failed=$((failed + 1))
echo "ARM64-EXIT=$failed"
sync
poweroff -f
