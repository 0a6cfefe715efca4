#!/usr/bin/env bash
# README's test command. Installs what the tests need on a fresh Debian
# machine (only what is missing): a software Vulkan/GL renderer for
# egui_kittest's wgpu snapshots, Xvfb for the real-window test, ImageMagick and
# xdotool to look at that window. Then runs the whole test suite.
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
exec cargo test --workspace --locked "$@"
