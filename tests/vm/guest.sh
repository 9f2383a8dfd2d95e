#!/bin/bash
# Inside the VM (see README.md), as root, started by workbook-vm.service once the system is up.
# Does what a learner's `vagrant up` and first session do, and reports on the serial console:
#
#   1. the facts the VM differs from the development machine in (kernel, cgroup v2, propagation of /)
#   2. vagrant/provision.sh as Vagrant runs it (root, project folder /workbook), then again:
#      the second run must change nothing
#   3. as the vagrant user, with sudo as the README says: the reference solution of each chapter
#      of VM_CHAPTERS graded and timed (npm test -- --solution N), then, with VM_UNTOUCHED=1, the
#      untouched learner files (every graded check of every chapter must fail)
#   4. nothing of the workbook left: npm run clean finds nothing, and the leftover check is empty
#
# The host reads lines starting "VM-" and, last, VM-EXIT=N (the power-off that follows makes QEMU
# exit 0 whatever happened, so this line is the verdict).
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# shellcheck source=/dev/null
. /workbook/.vm-settings   # VM_TIME_SCALE, VM_CHAPTERS, VM_SOLUTIONS, VM_UNTOUCHED

status=0
t0=$(cut -d' ' -f1 /proc/uptime)
since() { awk -v a="$1" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.0f", b - a }'; }
say() { echo "VM-INFO [$(since "$t0") s] $*"; }
fact() { echo "VM-FACT $1: $2"; }
fail() { echo "VM-FAIL $*"; status=1; }

say "systemd reached the test unit $t0 s after the kernel started"
fact 'uname -r' "$(uname -r)"
fact 'stat -fc %T /sys/fs/cgroup' "$(stat -fc %T /sys/fs/cgroup)"
fact 'findmnt -no PROPAGATION /' "$(findmnt -no PROPAGATION /)"
fact 'PID 1' "$(tr '\0' ' ' < /proc/1/cmdline) ($(systemctl --version | head -n 1))"
fact 'cgroup.controllers' "$(cat /sys/fs/cgroup/cgroup.controllers)"
fact 'nproc, memory' "$(nproc), $(awk '/MemTotal/ { print int($2 / 1024) " MiB" }' /proc/meminfo)"

# --- 2. provisioning, as `vagrant up` runs it ----------------------------------------------
provision() {
  bash /workbook/vagrant/provision.sh /workbook
}
t=$(cut -d' ' -f1 /proc/uptime)
set -o pipefail
if provision 2>&1 | sed -u 's/^/VM-LOG provision: /'; then  # streamed: the rootfs build takes minutes here
  say "provision.sh: done in $(since "$t") s"
else
  fail "vagrant/provision.sh failed (see above)"
  echo "VM-EXIT=1"; exit 1
fi
set +o pipefail
t=$(cut -d' ' -f1 /proc/uptime)
second=$(provision 2>&1)
if grep -qx 'provision: done, no changes (everything was already in place)' <<<"$second"; then
  say "provision.sh again: no changes ($(since "$t") s)"
else
  sed 's/^/VM-LOG provision (2nd): /' <<<"$second"
  fail "the second provision.sh changed something"
fi
fact 'iptables --version' "$(iptables --version)"
fact 'node --version' "$(node --version)"

# --- 3. grading, as the vagrant user with sudo (the README's VM instructions) -----------------
# One `npm test` per chapter, so that each chapter's time is its own (start-up included) and one
# chapter's trouble cannot hide another's result.
as_vagrant() { su - vagrant -c "cd /workbook && $*"; }
grade() { # grade LABEL ARGS… — the JSON report lands in /tmp/LABEL.json; sets $took (s)
  local label=$1; shift
  local t; t=$(cut -d' ' -f1 /proc/uptime)
  # Streamed as it runs (the console log shows where a slow or hung chapter is), blank lines left out.
  as_vagrant "sudo WORKBOOK_TIME_SCALE=$VM_TIME_SCALE npm test -- $* --json /tmp/$label.json" 2>&1 \
    | tee "/tmp/$label.log" | sed -u -n "/[^[:space:]]/s/^/VM-LOG $label: /p"
  local code=${PIPESTATUS[0]}
  took=$(since "$t")
  say "npm test -- $* : exit $code in $took s"
  return $code
}
# One line per chapter from a JSON report: "slug passed/total failing-check-names".
chapters_of() {
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const c of r.chapters) {
      const failed = c.checks.filter((k) => k.status === "failed").map((k) => k.name);
      console.log(`${c.chapter} ${c.passed}/${c.total}${failed.length ? " failed: " + failed.join("; ") : ""}`);
    }
  ' "$1" 2>/dev/null
}
# The reference solution of every chapter of VM_CHAPTERS must pass every check.
t=$(cut -d' ' -f1 /proc/uptime)
[ "${VM_SOLUTIONS:-1}" = 1 ] || say "the reference solutions are not graded (VM_SOLUTIONS=$VM_SOLUTIONS)"
for n in $([ "${VM_SOLUTIONS:-1}" = 1 ] && echo "$VM_CHAPTERS"); do
  grade "solutions-$n" --solution "$n"
  code=$?
  if [ ! -f "/tmp/solutions-$n.json" ]; then
    echo "VM-CHAPTER solutions $n no report (exit $code) ${took} s"
    fail "chapter $n: npm test -- --solution wrote no report (exit $code)"
    continue
  fi
  while read -r slug score rest; do
    echo "VM-CHAPTER solutions $slug $score ${took} s${rest:+ $rest}"
    [ "${score%/*}" = "${score#*/}" ] || fail "$slug: the reference solution does not pass every check ($score)"
  done < <(chapters_of "/tmp/solutions-$n.json")
  [ "$code" = 0 ] || fail "chapter $n: npm test -- --solution exited $code"
done
say "the reference solutions of chapters $VM_CHAPTERS: $(since "$t") s"

# The untouched learner files must fail every graded check, each check judging (the selftest's
# step 3, tests/vm/untouched.ts): the given: blocks, which judge the toolkit and not the learner's
# file, are left out, as the selftest leaves them out — they passed with the solutions above.
if [ "$VM_UNTOUCHED" = 1 ]; then
  t=$(cut -d' ' -f1 /proc/uptime)
  as_vagrant "sudo WORKBOOK_TIME_SCALE=$VM_TIME_SCALE node --import tsx tests/vm/untouched.ts $VM_CHAPTERS" 2>&1 \
    | sed -u -n -e '/^VM-CHAPTER /p' -e '/^VM-CHAPTER /!s/^/VM-LOG untouched: /p'
  code=${PIPESTATUS[0]}
  [ "$code" = 0 ] || fail "the untouched learner files: not every graded check failed, each judging (exit $code; see the VM-CHAPTER untouched lines)"
  say "the untouched chapters $VM_CHAPTERS: $(since "$t") s"
fi

# --- 4. nothing left ----------------------------------------------------------------------------
clean=$(as_vagrant "sudo npm run --silent clean" 2>&1)
sed 's/^/VM-LOG clean: /' <<<"$clean"
left=$(cd /workbook && node --import tsx -e '
  import("./toolkit/cli/leftovers.ts").then((m) => {
    const l = m.findLeftovers();
    console.log(m.isClean(l) ? "none" : JSON.stringify(l));
  });
' 2>&1)
fact 'leftovers after the runs' "$left"
[ "$left" = none ] || fail "the workbook left something on the VM: $left"
links=$(ip -o link show | awk -F': ' '{ print $2 }' | grep -vE '^(lo|en[a-z0-9]+|eth0)$' | tr '\n' ' ')
[ -z "$links" ] || fail "network devices left: $links"

say "done"
echo "VM-EXIT=$status"
