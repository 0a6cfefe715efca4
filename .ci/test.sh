#!/usr/bin/env bash
# README's test command. Installs what the tests need on a fresh Debian
# machine (only what is missing): a software Vulkan/GL renderer for
# egui_kittest's wgpu snapshots, Xvfb for the real-window test, ImageMagick and
# xdotool to look at that window. Then checks formatting and lints, and runs
# the whole test suite; prints the tests that could not run (SKIPPED).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(mesa-vulkan-drivers libvulkan1 libgl1-mesa-dri libegl1 libgl1 xvfb xauth
          libxkbcommon-x11-0 libxcursor1 libxi6 libxrandr2 libx11-xcb1 imagemagick xdotool
          util-linux)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v cargo >/dev/null; then
  echo "cargo is missing: install Rust 1.95 or newer (rustup), then run this again" >&2
  exit 2
fi

# A reviewer's checks first: formatting, then lints with warnings as errors.
echo "== cargo fmt --all --check"
cargo fmt --all --check
# The lints run in the test build itself: the workspace's crates are compiled
# through clippy's driver (what `cargo clippy` does, with the same lint
# arguments), so the dependencies are compiled once, not once for clippy and
# again for the tests; the tests then run what that build made.
export RUSTC_WORKSPACE_WRAPPER="$(rustc --print sysroot)/bin/clippy-driver"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
echo "== cargo test --workspace --locked --no-run (linted: clippy -D warnings)"
cargo test --workspace --locked --no-run

# The tests. A test that cannot run here (no shared data folder, no display
# tools) prints "SKIPPED: <test>: <why>" instead of passing silently; they are
# counted from cargo's output and listed at the end. With CI_REQUIRE_ALL=1
# (set by .ci/run) a skip fails the run.
echo "== cargo test --workspace --locked $*"
log="$(mktemp -t process-workbench-test.XXXXXX)"
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --locked "$@" 2>&1 | tee "$log" || status=$?

skipped="$(grep -o 'SKIPPED: .*' "$log" | sort -u || true)"
count=0
[ -n "$skipped" ] && count="$(printf '%s\n' "$skipped" | wc -l)"
echo
if [ "$status" -ne 0 ]; then
  echo "== cargo test failed (status $status)"
fi
if [ "$count" -eq 0 ]; then
  echo "== no test skipped"
else
  echo "== $count test(s) or parts of tests SKIPPED (they did not run):"
  printf '%s\n' "$skipped"
  if [ "${CI_REQUIRE_ALL:-}" = 1 ]; then
    echo "== CI_REQUIRE_ALL=1: every test must run; failing"
    [ "$status" -ne 0 ] || status=1
  fi
fi
exit "$status"
