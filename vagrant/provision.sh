#!/usr/bin/env bash
# Prepare a Debian machine (the Vagrant VM, or any Debian 12 box) for the workbook:
#
#   sudo bash vagrant/provision.sh [PROJECT_DIR]     (default: /workbook, the VM's synced folder)
#
# Steps, one line of output each ("ok: …" = already in place, "changed: …" = done now):
#   1. Debian packages the workbook needs (only the missing ones; apt-get update only then)
#   2. Node.js >= 20 (only if node is missing or older: the official nodejs.org tarball,
#      checksum-verified, into /usr/local — Debian 12's own nodejs is 18, too old)
#   3. npm ci in the project (skipped while node_modules matches package-lock.json)
#   4. in the Vagrant VM only: `vagrant ssh` lands in the project and runs npm as root
#      (before step 5: the file it writes is how the workbook knows it runs in its VM)
#   5. npm run rootfs (the container root filesystem in /var/lib/workbook/rootfs)
#   6. vagrant/check-kernel.sh (cgroups, overlayfs, namespaces)
#
# Idempotent: a second run changes nothing and says so. It never touches cgroups,
# mounts or the network configuration. Environment knobs (all optional):
#   WORKBOOK_NODE_MAJOR   Node major version to install when needed (default 22, an LTS line)
#   WORKBOOK_NODE_MIRROR  where to download Node from (default https://nodejs.org/dist)
set -euo pipefail

NODE_MIN_MAJOR=20
NODE_MAJOR="${WORKBOOK_NODE_MAJOR:-22}"
NODE_MIRROR="${WORKBOOK_NODE_MIRROR:-https://nodejs.org/dist}"
NODE_PREFIX="${WORKBOOK_NODE_PREFIX:-/usr/local}"   # for tests; /usr/local/bin is on sudo's secure_path
STAMP_NAME=".workbook-provision-stamp"               # inside node_modules: `npm ci` wipes it with the rest
PROFILE_FILE=/etc/profile.d/workbook.sh              # written in the Vagrant VM only (step 5)

# The Debian packages, one entry each; "a|b" means either one will do (the first is installed).
APT_PACKAGES=(
  gcc libc6-dev          # the runner compiles a tiny C helper; the rootfs a static probe
  busybox-static         # the container root filesystem is busybox
  iproute2               # ip, for the network chapters
  iptables               # NAT and published ports (chapter 5); the iptables command itself is used
  util-linux             # unshare, nsenter, mount
  uidmap                 # newuidmap/newgidmap, for rootless containers with a subordinate ID range (chapter 6)
  umoci                  # builds OCI image layouts from a directory: chapter 4 runs an image made by another tool
  docker-registry skopeo # a registry on 127.0.0.1 and the tool that fills it (chapter 9, npm run registry)
  openssl                # the chapter 9 tests' token server signs with a certificate it makes
  ca-certificates git
  curl xz-utils          # only to fetch and unpack Node when it is missing
)

CHANGES=0
ok()      { printf 'ok: %s\n' "$*"; }
changed() { printf 'changed: %s\n' "$*"; CHANGES=$((CHANGES + 1)); }
note()    { printf '  %s\n' "$*"; }
die()     { printf 'provision: error: %s\n' "$*" >&2; exit 1; }

installed() { [[ "$(dpkg-query -W -f '${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]; }

# ---------------------------------------------------------------- 1. packages
ensure_packages() {
  local entry alt found alts missing=()
  for entry in "${APT_PACKAGES[@]}"; do
    found=""
    IFS='|' read -r -a alts <<<"$entry"
    for alt in "${alts[@]}"; do
      if installed "$alt"; then found="$alt"; break; fi
    done
    if [[ -n "$found" ]]; then ok "$found installed"; else missing+=("${alts[0]}"); fi
  done
  ((${#missing[@]} == 0)) && return 0
  note "installing ${missing[*]} (apt-get)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  for alt in "${missing[@]}"; do
    installed "$alt" || die "apt-get did not install $alt"
    changed "$alt installed"
  done
}

# Debian's docker-registry package starts a service with its own config: every interface, port 5000,
# htpasswd. The workbook starts its own registry on 127.0.0.1 only (npm run registry): keep that one off.
ensure_registry_service_off() {
  command -v systemctl >/dev/null && [[ -d /run/systemd/system ]] || return 0
  if systemctl is-enabled --quiet docker-registry 2>/dev/null || systemctl is-active --quiet docker-registry 2>/dev/null; then
    systemctl disable --now docker-registry >/dev/null 2>&1 || die "could not stop the docker-registry service"
    changed "docker-registry service stopped and disabled (npm run registry starts the workbook's own)"
  else
    ok "docker-registry service off"
  fi
}

# ---------------------------------------------------------------- 2. node
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# The official binary tarball, checksum-checked against SHASUMS256.txt from the same
# place (integrity, not a signature check). amd64 -> linux-x64, arm64 -> linux-arm64.
# Sets NODE_HOME to the unpacked folder.
install_node_tarball() {
  local arch dir file sha tool
  case "$(dpkg --print-architecture)" in
    amd64) arch=x64 ;;
    arm64) arch=arm64 ;;
    *) die "no Node.js tarball for $(dpkg --print-architecture): install Node >= $NODE_MIN_MAJOR yourself" ;;
  esac
  dir="$NODE_MIRROR/latest-v${NODE_MAJOR}.x"
  WORK_TMP="$(mktemp -d)"
  trap 'rm -rf "$WORK_TMP"' EXIT
  curl -fsSL --retry 3 -o "$WORK_TMP/SHASUMS256.txt" "$dir/SHASUMS256.txt" || die "could not fetch $dir/SHASUMS256.txt"
  read -r sha file < <(grep -E "  node-v[0-9.]+-linux-${arch}\.tar\.xz\$" "$WORK_TMP/SHASUMS256.txt" | head -1) \
    || die "no linux-${arch} tarball listed in $dir/SHASUMS256.txt"
  note "downloading $dir/$file…"
  curl -fsSL --retry 3 -o "$WORK_TMP/$file" "$dir/$file" || die "could not fetch $dir/$file"
  (cd "$WORK_TMP" && printf '%s  %s\n' "$sha" "$file" | sha256sum -c --quiet -) || die "checksum mismatch for $file"
  mkdir -p "$NODE_PREFIX/lib/nodejs" "$NODE_PREFIX/bin"
  tar -xJf "$WORK_TMP/$file" -C "$NODE_PREFIX/lib/nodejs" --no-same-owner
  NODE_HOME="$NODE_PREFIX/lib/nodejs/${file%.tar.xz}"
  for tool in node npm npx corepack; do
    if [[ -e "$NODE_HOME/bin/$tool" ]]; then ln -sfn "$NODE_HOME/bin/$tool" "$NODE_PREFIX/bin/$tool"; fi
  done
  "$NODE_PREFIX/bin/node" --version >/dev/null || die "the installed $NODE_HOME/bin/node does not run"
  rm -rf "$WORK_TMP"
}

ensure_node() {
  local major
  major="$(node_major)"
  if ((major >= NODE_MIN_MAJOR)) && command -v npm >/dev/null; then
    ok "node $(node --version) (>= $NODE_MIN_MAJOR) at $(command -v node)"
    return 0
  fi
  if ((major == 0)); then note "node is missing"; else note "node $(node --version) is older than $NODE_MIN_MAJOR (or npm is missing)"; fi
  install_node_tarball
  hash -r
  major="$(node_major)"
  ((major >= NODE_MIN_MAJOR)) || die "installed $NODE_HOME, but \`node\` on PATH is still $(node --version 2>/dev/null || echo missing): is $NODE_PREFIX/bin on PATH?"
  changed "node $(node --version) installed in $NODE_HOME (linked from $NODE_PREFIX/bin)"
}

# ---------------------------------------------------------------- 3. npm ci
# What node_modules was installed for: the lockfile, the Node major, the platform.
expected_stamp() {
  printf 'lock %s node %s %s-%s\n' \
    "$(sha256sum <"$PROJECT/package-lock.json" | cut -d' ' -f1)" "$(node_major)" "$(uname -s)" "$(uname -m)"
}

# node_modules was installed on this OS/CPU: the platform-specific packages load.
# (A node_modules installed on the host — macOS, Windows — has the wrong esbuild and koffi.)
modules_load() {
  (cd "$PROJECT" && node -e "require('koffi'); require('esbuild').transformSync('let a: number = 1', { loader: 'ts' }); require.resolve('tsx')") \
    >/dev/null 2>&1
}

# No stamp yet (node_modules from an earlier `npm ci` by hand): npm's own record of
# the install, node_modules/.package-lock.json, lists exactly the lockfile's packages.
hidden_lockfile_matches() {
  (cd "$PROJECT" && node -e '
    const fs = require("fs");
    const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8")).packages ?? {};
    const seen = JSON.parse(fs.readFileSync("node_modules/.package-lock.json", "utf8")).packages ?? {};
    for (const [p, v] of Object.entries(lock)) {
      if (p === "" || v.link) continue;
      if (!seen[p]) { if (v.optional) continue; process.exit(1); }   // other platforms'"'"' optional packages
      if (seen[p].version !== v.version || !fs.existsSync(p + "/package.json")) process.exit(1);
    }
    for (const [p, v] of Object.entries(seen)) if (!lock[p] || lock[p].version !== v.version) process.exit(1);
  ') >/dev/null 2>&1
}

# Can the project folder hold symlinks? (A VirtualBox share on a Windows host often cannot.)
folder_takes_symlinks() {
  local probe="$PROJECT/.workbook-symlink-probe.$$"
  if ln -s package.json "$probe" 2>/dev/null; then rm -f "$probe"; return 0; fi
  rm -f "$probe" 2>/dev/null || true
  return 1
}

ensure_node_modules() {
  local stamp_file="$PROJECT/node_modules/$STAMP_NAME" want why flags=(--no-audit --no-fund)
  want="$(expected_stamp)"
  if [[ -d "$PROJECT/node_modules" ]]; then
    if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$want" ]]; then
      if modules_load; then ok "node_modules up to date with package-lock.json (stamp matches)"; return 0; fi
      why="node_modules matches the stamp but does not load here (installed from another OS?)"
    elif [[ ! -f "$stamp_file" && -f "$PROJECT/node_modules/.package-lock.json" ]] && hidden_lockfile_matches && modules_load; then
      printf '%s\n' "$want" >"$stamp_file"
      changed "node_modules already matched package-lock.json: recorded the stamp, no npm ci needed"
      return 0
    else
      why="node_modules is out of date with package-lock.json"
    fi
  else
    why="node_modules is missing"
  fi
  note "$why: npm ci…"
  if ! folder_takes_symlinks; then
    flags+=(--no-bin-links)
    note "$PROJECT cannot hold symlinks (a Windows host?): npm ci --no-bin-links (the npm scripts still work)"
  fi
  (cd "$PROJECT" && npm ci "${flags[@]}")
  modules_load || die "npm ci finished, but koffi/esbuild/tsx do not load in $PROJECT/node_modules"
  printf '%s\n' "$want" >"$stamp_file"
  changed "node_modules installed (npm ci)"
}

# ---------------------------------------------------------------- 5. rootfs
ensure_rootfs() {
  local out
  # toolkit/cli/rootfs.ts prints "built: <dir> (…)" or "up to date: <dir> (…)" on stdout.
  out="$(cd "$PROJECT" && npm run --silent rootfs)" || die "npm run rootfs failed"
  case "$out" in
    "up to date:"*) ok "root filesystem ${out#up to date: }" ;;
    "built:"*) changed "root filesystem built: ${out#built: }" ;;
    *) note "$out"; changed "root filesystem (npm run rootfs)" ;;
  esac
}

# ---------------------------------------------------------------- 4. login shell (VM only)
# `vagrant ssh` lands in the project, and `npm` runs as root (the vagrant user has
# passwordless sudo), so the workbook's commands work as written: npm run chapter 1.
ensure_login_shell() {
  local file="$PROFILE_FILE" content
  if ! id vagrant >/dev/null 2>&1; then
    ok "no 'vagrant' user: not a Vagrant VM, login shell left alone"
    return 0
  fi
  content="# Written by the workbook's vagrant/provision.sh: changes here are overwritten.
# Interactive logins of the vagrant user start in the project, and npm runs as root
# there (namespaces, mounts and cgroups are root's; sudo needs no password here).
case \$- in *i*)
  if [ \"\$(id -u)\" != 0 ] && [ -d '$PROJECT' ]; then
    [ \"\$PWD\" = \"\$HOME\" ] && cd '$PROJECT'
    # The slides server must listen where Vagrant's forwarded port arrives (the VM's
    # interface, not its loopback); the forward itself is bound to the host's 127.0.0.1.
    alias npm='sudo WORKBOOK_SLIDES_HOST=0.0.0.0 npm'
    echo \"workbook: in $PROJECT, npm runs as root (alias npm='sudo npm'). Start with: npm run chapter 1\"
  fi ;;
esac"
  if [[ -f "$file" && "$(cat "$file")" == "$content" ]]; then
    ok "login shell: vagrant ssh lands in $PROJECT, npm runs as root"
  else
    printf '%s\n' "$content" >"$file"
    changed "login shell: vagrant ssh lands in $PROJECT, npm runs as root ($file)"
  fi
}

# ---------------------------------------------------------------- 6. kernel
check_kernel() {
  local script="$PROJECT/vagrant/check-kernel.sh"
  [[ -f "$script" ]] || script="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/check-kernel.sh"
  [[ -f "$script" ]] || die "vagrant/check-kernel.sh not found"
  # Through tr: a checkout on a Windows host may have given the script CRLF line ends.
  bash -c "$(tr -d '\r' <"$script")" check-kernel.sh || die "the kernel lacks something the workbook needs (see above)"
}

main() {
  PROJECT="$(readlink -f "${1:-/workbook}")"
  [[ -f "$PROJECT/package.json" && -f "$PROJECT/package-lock.json" ]] || die "$PROJECT has no package.json and package-lock.json: pass the project folder"
  ((EUID == 0)) || die "run as root: sudo bash $0 $PROJECT"
  command -v dpkg-query >/dev/null || die "this script is for Debian (dpkg/apt)"

  echo "provision: $PROJECT"
  ensure_packages
  ensure_registry_service_off
  ensure_node
  ensure_node_modules
  ensure_login_shell   # first: without its file, npm run rootfs takes the VM for a learner's own machine
  ensure_rootfs
  check_kernel
  if ((CHANGES == 0)); then
    echo "provision: done, no changes (everything was already in place)"
  else
    echo "provision: done, $CHANGES change(s)"
  fi
}

# Sourcing the file (for tests) defines the functions without running anything.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; fi
