#!/usr/bin/env bash
# Installs what criod needs on Debian 12 (as root): runc, conmon, the CNI plugins, busybox-static
# (its nc carries port-forward connections into pod namespaces), GNU tar and zstd (image layers),
# mount and coreutils (overlay mounts, rootfs copies) and pnpm.
# With --test also what the test suite uses: a local registry, skopeo, ping, openssl (a TLS
# token server), python3 (xattr checks), hostname, criu (checkpoint/restore; criod works without it), and Debian's Go toolchain with grpc-go for the
# Go interop suite (built offline in GOPATH mode).
# Node.js 20 or newer must already be installed: Debian 12's own nodejs is 18.
set -euo pipefail

node_version=$(node --version 2>/dev/null || true)
node_major=${node_version#v}
node_major=${node_major%%.*}
if [[ ! "$node_major" =~ ^[0-9]+$ ]] || ((node_major < 20)); then
  echo "install-deps: criod needs Node.js 20 or newer, found ${node_version:-no node on PATH}; install Node.js 20 (https://nodejs.org/en/download) and run this again" >&2
  exit 1
fi

packages=(bash runc conmon containernetworking-plugins iproute2 util-linux mount coreutils iptables busybox-static tar zstd)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(docker-registry skopeo iputils-ping openssl python3-minimal hostname criu golang-1.19-go golang-google-grpc-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v pnpm >/dev/null 2>&1 || [[ "$(pnpm --version)" != 10.* ]]; then
  echo "installing pnpm 10"
  npm install -g pnpm@10 >/dev/null
fi
