/**
 * criod's default AppArmor profile, applied for runtime/default. Namespaces, capabilities and
 * seccomp already confine a container; this profile adds what they cannot: no writes to the
 * host's kernel knobs under /proc and /sys, no reading of firmware or securityfs, no mounts, and
 * signals and ptrace only among containers of the same profile or from the host.
 */

/** The profile name criod installs itself at startup. */
export const builtinProfileName = 'criod-default';

export function defaultProfileText(name: string): string {
  return `#include <tunables/global>

profile ${name} flags=(attach_disconnected,mediate_deleted) {
  #include <abstractions/base>

  network,
  capability,
  file,
  umount,

  # The host may signal containers; containers may signal each other.
  signal (receive) peer=unconfined,
  signal (send,receive) peer=${name},

  deny mount,

  # /proc: only a process's own /proc/<pid>/ and /proc/sys/kernel/shm* are writable.
  deny @{PROC}/* w,
  deny @{PROC}/{[^1-9],[^1-9][^0-9],[^1-9s][^0-9y][^0-9s],[^1-9][^0-9][^0-9][^0-9/]*}/** w,
  deny @{PROC}/sys/[^k]** w,
  deny @{PROC}/sys/kernel/{?,??,[^s][^h][^m]**} w,
  deny @{PROC}/sysrq-trigger rwklx,
  deny @{PROC}/kcore rwklx,

  # /sys: read-only but for cgroupfs; firmware, powercap and securityfs not even readable.
  deny /sys/[^f]*/** wklx,
  deny /sys/f[^s]*/** wklx,
  deny /sys/fs/[^c]*/** wklx,
  deny /sys/fs/c[^g]*/** wklx,
  deny /sys/fs/cg[^r]*/** wklx,
  deny /sys/firmware/** rwklx,
  deny /sys/devices/virtual/powercap/** rwklx,
  deny /sys/kernel/security/** rwklx,

  # ps and top inside a container read their peers.
  ptrace (trace,read,tracedby,readby) peer=${name},
}
`;
}
