#!/usr/bin/env bash
# Installs what criod needs on Debian 12 (as root): runc, conmon, the CNI plugins, busybox-static
# (its nc carries port-forward connections into pod namespaces), GNU tar and zstd (image layers)
# and pnpm.
# With --test also what the test suite uses: a local registry, skopeo, ping, and Debian's Go
# toolchain with grpc-go for the Go interop suite (built offline in GOPATH mode).
set -euo pipefail

packages=(runc conmon containernetworking-plugins iproute2 util-linux iptables busybox-static tar zstd)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(docker-registry skopeo iputils-ping golang-1.19-go golang-google-grpc-dev)
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
