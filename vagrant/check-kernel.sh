#!/usr/bin/env bash
# Does this kernel have what the workbook's chapters use? One line per feature:
#   ok:      present
#   hybrid:  cgroup controllers on v1 (a v1/v2 hybrid host): fine, the chapters support both
#   v1:      cgroup v1 only (no cgroup2 mount at all): fine too
#   warn:    works for root (how the workbook runs) but not for unprivileged users
#   missing: required and absent — the script exits 1
# Reads /proc and /sys only; as root it may load the overlay module (modprobe overlay).
# pivot_root, chroot and mount need no check: every Linux kernel has them.
set -euo pipefail

MISSING=0
ok()      { printf 'ok: %s\n' "$*"; }
hybrid()  { printf 'hybrid: %s\n' "$*"; }
warn()    { printf 'warn: %s\n' "$*"; }
missing() { printf 'missing: %s\n' "$*"; MISSING=$((MISSING + 1)); }

REQUIRED_CONTROLLERS=(memory cpu pids)
# Where to look (overridable only so the cgroup branches can be tested with fixtures).
CGROUP_ROOT="${CHECK_KERNEL_CGROUP_ROOT:-/sys/fs/cgroup}"
MOUNTS="${CHECK_KERNEL_MOUNTS:-/proc/self/mounts}"

# ---------------------------------------------------------------- cgroups
# v1 controllers mounted right now: the comma-separated mount options of each
# "cgroup" (v1) mount in /proc/self/mounts name the controllers it holds, among
# plain options (rw, relatime…); /proc/cgroups lists which words are controllers.
v1_controllers() {
  local known=/proc/cgroups
  [[ -r "$known" ]] || known=/dev/null
  awk 'FILENAME == ARGV[1] { if ($1 !~ /^#/) { ctl[$1] = 1; known++ }; next }
       $3 == "cgroup" { n = split($4, o, ","); for (i = 1; i <= n; i++) if (!known || (o[i] in ctl)) print o[i] }' \
    "$known" "$MOUNTS" | sort -u
}
cgroup2_mounts() { awk '$3 == "cgroup2" { print $2 }' "$MOUNTS"; }

check_cgroups() {
  local c lacking=() v1 v2 unified
  if [[ -f "$CGROUP_ROOT/cgroup.controllers" ]]; then
    # Unified (cgroup v2 only): what the chapters are written for.
    v2="$(cat "$CGROUP_ROOT/cgroup.controllers")"
    for c in "${REQUIRED_CONTROLLERS[@]}"; do
      [[ " $v2 " == *" $c "* ]] || lacking+=("$c")
    done
    if ((${#lacking[@]} == 0)); then
      ok "cgroup v2 unified at $CGROUP_ROOT (controllers: $v2)"
    else
      missing "cgroup v2 controllers ${lacking[*]} ($CGROUP_ROOT/cgroup.controllers has: ${v2:-none})"
    fi
    return 0
  fi

  v1="$(v1_controllers)"
  if [[ -z "$v1" ]]; then
    missing "cgroups: neither cgroup v2 at $CGROUP_ROOT nor any v1 controller is mounted"
    return 0
  fi
  for c in "${REQUIRED_CONTROLLERS[@]}"; do
    grep -qx "$c" <<<"$v1" || lacking+=("$c")
  done
  if ((${#lacking[@]} > 0)); then
    missing "cgroup v1 controllers ${lacking[*]} are not mounted (v1 mounts hold: $(paste -sd' ' <<<"$v1"))"
    return 0
  fi
  unified="$(cgroup2_mounts | head -1)"
  if [[ -n "$unified" ]]; then
    v2="$(cat "$unified/cgroup.controllers" 2>/dev/null || true)"
    hybrid "controllers on v1 (${REQUIRED_CONTROLLERS[*]} mounted under /sys/fs/cgroup/; the cgroup2 at $unified holds: ${v2:-none}) — fine, the chapters support v1 and v2"
  else
    printf 'v1: %s\n' "controllers on v1 only (${REQUIRED_CONTROLLERS[*]} mounted under /sys/fs/cgroup/; no cgroup2 mount) — fine, the chapters support v1 and v2"
  fi
}

# ---------------------------------------------------------------- overlayfs
check_overlay() {
  if grep -qw overlay /proc/filesystems; then
    ok "overlayfs"
  elif ((EUID == 0)) && command -v modprobe >/dev/null && modprobe overlay 2>/dev/null && grep -qw overlay /proc/filesystems; then
    ok "overlayfs (module loaded now: modprobe overlay)"
  else
    missing "overlayfs: not in /proc/filesystems$( ((EUID == 0)) || echo ' (as root this script would try modprobe overlay)')"
  fi
}

# ---------------------------------------------------------------- namespaces
check_userns() {
  local max
  if [[ ! -e /proc/self/ns/user ]]; then
    missing "user namespaces: kernel built without CONFIG_USER_NS"
    return 0
  fi
  max="$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo unknown)"
  if [[ "$max" == 0 ]]; then
    missing "user namespaces: disabled (user.max_user_namespaces = 0; sysctl -w user.max_user_namespaces=15000)"
    return 0
  fi
  ok "user namespaces (user.max_user_namespaces = $max)"
  # Debian's and Ubuntu's extra switches: they stop unprivileged users, not root.
  if [[ -r /proc/sys/kernel/unprivileged_userns_clone && "$(cat /proc/sys/kernel/unprivileged_userns_clone)" == 0 ]]; then
    warn "kernel.unprivileged_userns_clone = 0: only root may create user namespaces (the workbook runs as root)"
  fi
  if [[ -r /proc/sys/kernel/apparmor_restrict_unprivileged_userns && "$(cat /proc/sys/kernel/apparmor_restrict_unprivileged_userns)" == 1 ]]; then
    warn "kernel.apparmor_restrict_unprivileged_userns = 1: unprivileged user namespaces are restricted (the workbook runs as root)"
  fi
}

check_netns() {
  if [[ ! -e /proc/self/ns/net ]]; then
    missing "network namespaces: kernel built without CONFIG_NET_NS"
  elif ! command -v ip >/dev/null; then
    missing "network namespaces: the kernel has them, but the ip command is missing (apt-get install iproute2)"
  elif ! ip netns list >/dev/null 2>&1; then
    missing "network namespaces: \`ip netns list\` fails"
  else
    ok "network namespaces (ip netns works)"
  fi
}

check_other_ns() {
  local ns lacking=()
  for ns in mnt pid uts ipc cgroup; do
    [[ -e "/proc/self/ns/$ns" ]] || lacking+=("$ns")
  done
  if ((${#lacking[@]} == 0)); then
    ok "mount, pid, uts, ipc and cgroup namespaces"
  else
    missing "namespaces: ${lacking[*]} (kernel built without them)"
  fi
}

echo "kernel: $(uname -sr) on $(uname -m)"
check_cgroups
check_overlay
check_userns
check_netns
check_other_ns
if ((MISSING > 0)); then
  echo "kernel: $MISSING required feature(s) missing: the workbook's chapters will fail here"
  exit 1
fi
echo "kernel: everything the workbook needs is here"
