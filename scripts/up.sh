#!/usr/bin/env bash
# Brings criod up on its built-in defaults (as root on Debian 12 with Node 20): installs runc,
# conmon, the CNI plugins and pnpm if absent, builds criod, installs a default bridge network
# when /etc/cni/net.d has none, and starts the daemon on unix:///run/criod/criod.sock.
#   --foreground   run criod in this terminal instead of in the background
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
pnpm install --frozen-lockfile
pnpm build

if ! compgen -G '/etc/cni/net.d/*.conflist' >/dev/null && ! compgen -G '/etc/cni/net.d/*.conf' >/dev/null && ! compgen -G '/etc/cni/net.d/*.json' >/dev/null; then
  install -D -m 0644 config/cni/10-criod-bridge.conflist /etc/cni/net.d/10-criod-bridge.conflist
  echo "installed /etc/cni/net.d/10-criod-bridge.conflist (bridge criod0, 10.85.0.0/16)"
fi

# How criod's node runs, measured in README: Memory. The bench and test-e2e's memory checks read
# these two lines (test-e2e/src/up-sh-launch.ts):
# - 2 MB semi-spaces: V8's young generation otherwise grows to 2 x 16 MB, which stays resident.
# - 4x V8's interrupt budget: startup's code runs too few times to be optimized, so an idle criod
#   does not hold TurboFan's code and output (4 MB); code run on every call still is.
# - no Sparkplug: its baseline code for every function run a few times stays in V8's code space
#   (2 MB after 100 pod lifecycles); hot code is still optimized by TurboFan.
# - glibc returns freed memory of 64 KB and more at once instead of keeping it for reuse.
node_flags=(--max-semi-space-size=2 --interrupt-budget=262144 --no-sparkplug)
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.trim_threshold=65536:glibc.malloc.mmap_threshold=65536}"

if [[ "${1:-}" == "--foreground" ]]; then
  exec node "${node_flags[@]}" apps/criod/bin/criod.js
fi

mkdir -p /run/criod /var/log
nohup node "${node_flags[@]}" apps/criod/bin/criod.js >>/var/log/criod.log 2>&1 &
pid=$!
echo "$pid" >/run/criod/criod.pid
for _ in $(seq 1 100); do
  [[ -S /run/criod/criod.sock ]] && break
  kill -0 "$pid" 2>/dev/null || { echo "criod exited; see /var/log/criod.log" >&2; tail -n 20 /var/log/criod.log >&2; exit 1; }
  sleep 0.1
done
[[ -S /run/criod/criod.sock ]] || { echo "criod did not create its socket; see /var/log/criod.log" >&2; exit 1; }
echo "criod is up (pid $pid, logs in /var/log/criod.log); stop it with: kill \$(cat /run/criod/criod.pid)"
echo "try: crictl --runtime-endpoint unix:///run/criod/criod.sock info"
