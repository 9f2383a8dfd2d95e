#!/bin/busybox sh
# /init of the v2 guest (see README.md). Runs as PID 1, twice:
#
#   stage 1 (no argument): / is the initramfs itself ("rootfs"), where
#     pivot_root(2) fails with EINVAL — so copy everything into a tmpfs and
#     switch_root there, coming back as stage 2.
#   stage 2: mount proc, sys, dev and cgroup2 (only v2, no v1), put this shell
#     in a systemd-like cgroup below a delegating parent, run chapter 3's
#     grading suite against the reference solutions, print its exit status on
#     a marker line the host looks for, power off.
#
# The host (run.sh) writes its settings to /etc/v2-guest.env: V2_FILES,
# V2_SCALE, V2_TEST_TIMEOUT, V2_VITEST_ARGS, V2_DIAG.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

if [ "$1" != stage2 ]; then
  mount -t proc proc /proc
  mkdir -p /newroot
  mount -t tmpfs -o mode=0755,size=90% tmpfs /newroot
  for entry in /*; do
    case "$entry" in /newroot|/proc|/sys|/dev) continue ;; esac
    cp -a "$entry" /newroot/
  done
  mkdir -p /newroot/proc /newroot/sys /newroot/dev
  umount /proc
  exec switch_root /newroot /init stage2
  echo "V2-GUEST-ERROR switch_root failed"
  exit 1
fi

say() { echo "v2-guest: [guest $(cut -d' ' -f1 /proc/uptime) s] $*"; }
# shellcheck source=/dev/null
. /etc/v2-guest.env

# shellcheck source=../support/guest-init.sh
. /guest-init.sh
guest_mounts
ip link set lo up 2>/dev/null
hostname v2-guest

say "kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { print int($2 / 1024) " MiB" }' /proc/meminfo)"
say "cgroup mounts: $(awk '$3 ~ /^cgroup/ { printf "%s on %s; ", $3, $2 }' /proc/mounts)"
say "cgroup.controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"

# As systemd leaves a login session: controllers delegated down to a slice
# that holds no process, the shell itself in a scope below it. The workbook
# must walk up from its own cgroup to the slice (toolkit/cgroups/layout.ts).
cg=/sys/fs/cgroup
echo '+cpu +memory +pids' > $cg/cgroup.subtree_control
mkdir -p $cg/ci.slice/runner.scope
echo '+cpu +memory +pids' > $cg/ci.slice/cgroup.subtree_control
echo $$ > $cg/ci.slice/runner.scope/cgroup.procs
say "runner's own cgroup: $(cat /proc/self/cgroup)"

# The kernel alone, no workbook code: a busy loop for 3 s in a cgroup with cpu.max "50000 100000".
mkdir $cg/ci.slice/probe
echo '50000 100000' > $cg/ci.slice/probe/cpu.max
sh -c "echo \$\$ > $cg/ci.slice/probe/cgroup.procs; exec sh -c 'while :; do :; done'" &
loop=$!; sleep 3; kill $loop; wait $loop 2>/dev/null
say "kernel probe, busy loop 3 s at cpu.max 50000 100000: $(awk '/usage_usec|nr_throttled/ { printf "%s %s ", $1, $2 }' $cg/ci.slice/probe/cpu.stat)"
rmdir $cg/ci.slice/probe

cd /project || exit 1
export HOME=/root TERM=dumb CI=true WORKBOOK_TARGET=solutions WORKBOOK_TIME_SCALE="$V2_SCALE"
say "the workbook's cgroup layout: $(node --import tsx -e "
  import('./toolkit/cgroups/index.ts').then((m) => console.log(JSON.stringify(m.detectCgroups())));
" 2>&1)"

if [ "$V2_DIAG" = 1 ]; then
  t=$(cut -d' ' -f1 /proc/uptime); node -e 0; say "node -e 0: $(awk -v t="$t" '{ print $1 - t }' /proc/uptime) s"
  for opts in "--stats" "--cpus 0.5 --stats"; do
    t=$(cut -d' ' -f1 /proc/uptime)
    # shellcheck disable=SC2086 # $opts: several options
    line=$(node --import tsx toolkit/cli/chapter.ts 3 --solution $opts -- true 2>&1 | tail -n 1)
    say "chapter 3 $opts -- true: $(awk -v t="$t" '{ print $1 - t }' /proc/uptime) s wall; $line"
  done
fi

# Exactly toolkit/cli/vitest.ts's invocation with grade: true, plus the time limits of a slow machine.
set -- node node_modules/vitest/vitest.mjs run \
  --config tests/vitest.config.ts \
  --reporter tests/support/reporter.ts \
  --testTimeout="$V2_TEST_TIMEOUT" --hookTimeout="$V2_TEST_TIMEOUT"
eval "set -- \"\$@\" $V2_VITEST_ARGS"
# shellcheck disable=SC2086 # V2_FILES: space-separated paths
set -- "$@" $V2_FILES
say "WORKBOOK_TARGET=$WORKBOOK_TARGET WORKBOOK_TIME_SCALE=$WORKBOOK_TIME_SCALE $*"
started=$(date +%s)
if [ "$V2_FILES" = none ]; then rc=0; else "$@"; rc=$?; fi
say "vitest took $(( $(date +%s) - started )) s (guest clock)"

left=$(find $cg -mindepth 1 -type d -name 'workbook-*')
say "workbook cgroups left: ${left:-none}"
[ -z "$left" ] || [ "$rc" != 0 ] || rc=99
echo "V2-GUEST-EXIT=$rc"
sync
poweroff -f
