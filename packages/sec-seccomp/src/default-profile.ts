/**
 * criod's RuntimeDefault seccomp profile. In effect it is the default profile of Docker,
 * containerd and CRI-O: everything not listed fails with EPERM; the everyday syscalls are
 * allowed; syscalls that only make sense with a capability are allowed only when the container
 * holds it; a few are allowed only with harmless arguments. Syscall names a kernel or libseccomp
 * does not know are skipped by runc, so newer names cost nothing on older hosts.
 */
import type { SeccompProfileSource, SeccompSyscallRule } from './profile-schema.js';

const EPERM = 1;
const ENOSYS = 38;
const AF_VSOCK = 40;

/** The namespace flags of clone(2): creating namespaces needs CAP_SYS_ADMIN. */
const CLONE_NEWNS = 0x00020000;
const CLONE_NEWCGROUP = 0x02000000;
const CLONE_NEWUTS = 0x04000000;
const CLONE_NEWIPC = 0x08000000;
const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWPID = 0x20000000;
const CLONE_NEWNET = 0x40000000;
const cloneNamespaceFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;

/** personality(2) values that only change how uname and 32-bit emulation look; 0xffffffff queries. */
const PER_LINUX = 0x0;
const PER_LINUX32 = 0x8;
const UNAME26 = 0x20000;
const PERSONALITY_QUERY = 0xffffffff;
const harmlessPersonalities = [PER_LINUX, PER_LINUX32, UNAME26, UNAME26 | PER_LINUX32, PERSONALITY_QUERY];

const fileSyscalls = [
  'access', 'faccessat', 'faccessat2', 'chdir', 'fchdir', 'getcwd',
  'open', 'openat', 'openat2', 'creat', 'close', 'close_range', 'name_to_handle_at',
  'read', 'readv', 'pread64', 'preadv', 'preadv2', 'readahead',
  'write', 'writev', 'pwrite64', 'pwritev', 'pwritev2',
  'lseek', '_llseek', 'dup', 'dup2', 'dup3', 'fcntl', 'fcntl64', 'ioctl', 'flock',
  'fsync', 'fdatasync', 'sync', 'syncfs', 'sync_file_range',
  'truncate', 'truncate64', 'ftruncate', 'ftruncate64', 'fallocate', 'fadvise64', 'fadvise64_64',
  'stat', 'stat64', 'lstat', 'lstat64', 'fstat', 'fstat64', 'fstatat64', 'newfstatat', 'statx',
  'statfs', 'statfs64', 'fstatfs', 'fstatfs64', 'statmount', 'listmount',
  'getdents', 'getdents64', 'mkdir', 'mkdirat', 'rmdir', 'mknod', 'mknodat',
  'link', 'linkat', 'symlink', 'symlinkat', 'unlink', 'unlinkat', 'readlink', 'readlinkat',
  'rename', 'renameat', 'renameat2',
  'chmod', 'fchmod', 'fchmodat', 'fchmodat2',
  'chown', 'chown32', 'fchown', 'fchown32', 'fchownat', 'lchown', 'lchown32', 'umask',
  'utime', 'utimes', 'utimensat', 'utimensat_time64', 'futimesat',
  'getxattr', 'getxattrat', 'lgetxattr', 'fgetxattr', 'setxattr', 'setxattrat', 'lsetxattr', 'fsetxattr',
  'listxattr', 'listxattrat', 'llistxattr', 'flistxattr', 'removexattr', 'removexattrat', 'lremovexattr', 'fremovexattr',
  'copy_file_range', 'sendfile', 'sendfile64', 'splice', 'tee', 'vmsplice',
  'inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch', 'fanotify_mark',
  'io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents', 'io_pgetevents', 'io_pgetevents_time64',
  'ioprio_get', 'ioprio_set', 'cachestat',
];

const waitingSyscalls = [
  'select', '_newselect', 'pselect6', 'pselect6_time64', 'poll', 'ppoll', 'ppoll_time64',
  'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_wait', 'epoll_wait_old', 'epoll_pwait', 'epoll_pwait2',
  'eventfd', 'eventfd2', 'signalfd', 'signalfd4', 'timerfd_create',
  'timerfd_gettime', 'timerfd_gettime64', 'timerfd_settime', 'timerfd_settime64',
  'futex', 'futex_time64', 'futex_wait', 'futex_wake', 'futex_waitv', 'futex_requeue',
  'pipe', 'pipe2', 'pause', 'restart_syscall',
];

const memorySyscalls = [
  'brk', 'mmap', 'mmap2', 'munmap', 'mremap', 'mprotect', 'madvise', 'mincore', 'msync', 'remap_file_pages',
  'mlock', 'mlock2', 'mlockall', 'munlock', 'munlockall', 'mseal', 'map_shadow_stack',
  'memfd_create', 'memfd_secret', 'membarrier', 'pkey_alloc', 'pkey_free', 'pkey_mprotect',
];

const processSyscalls = [
  'execve', 'execveat', 'fork', 'vfork', 'exit', 'exit_group', 'wait4', 'waitid', 'waitpid',
  'getpid', 'getppid', 'gettid', 'getpgid', 'getpgrp', 'setpgid', 'getsid', 'setsid',
  'getuid', 'getuid32', 'geteuid', 'geteuid32', 'getgid', 'getgid32', 'getegid', 'getegid32',
  'getresuid', 'getresuid32', 'getresgid', 'getresgid32', 'getgroups', 'getgroups32',
  'setuid', 'setuid32', 'setgid', 'setgid32', 'setreuid', 'setreuid32', 'setregid', 'setregid32',
  'setresuid', 'setresuid32', 'setresgid', 'setresgid32', 'setfsuid', 'setfsuid32', 'setfsgid', 'setfsgid32',
  'setgroups', 'setgroups32', 'capget', 'capset', 'prctl', 'seccomp',
  'landlock_create_ruleset', 'landlock_add_rule', 'landlock_restrict_self',
  'getrlimit', 'ugetrlimit', 'setrlimit', 'prlimit64', 'getrusage', 'getpriority', 'setpriority',
  'sched_yield', 'sched_getaffinity', 'sched_setaffinity', 'sched_getattr', 'sched_setattr',
  'sched_getparam', 'sched_setparam', 'sched_getscheduler', 'sched_setscheduler',
  'sched_get_priority_max', 'sched_get_priority_min', 'sched_rr_get_interval', 'sched_rr_get_interval_time64',
  'set_tid_address', 'set_robust_list', 'get_robust_list', 'rseq', 'set_thread_area', 'get_thread_area',
  'getcpu', 'getrandom', 'uname', 'sysinfo', 'pidfd_open', 'pidfd_send_signal', 'process_mrelease',
  'riscv_hwprobe', 'uretprobe',
];

const signalSyscalls = [
  'kill', 'tkill', 'tgkill', 'sigaltstack', 'sigprocmask', 'sigreturn',
  'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo',
  'rt_sigreturn', 'rt_sigsuspend', 'rt_sigtimedwait', 'rt_sigtimedwait_time64',
];

const timeSyscalls = [
  'time', 'gettimeofday', 'times', 'alarm', 'nanosleep', 'getitimer', 'setitimer',
  'clock_gettime', 'clock_gettime64', 'clock_getres', 'clock_getres_time64',
  'clock_nanosleep', 'clock_nanosleep_time64',
  // Adjusting the clock itself still needs CAP_SYS_TIME in the kernel; reading through them does not.
  'adjtimex', 'clock_adjtime', 'clock_adjtime64',
  'timer_create', 'timer_delete', 'timer_getoverrun', 'timer_gettime', 'timer_gettime64', 'timer_settime', 'timer_settime64',
];

const ipcSyscalls = [
  'ipc', 'msgget', 'msgctl', 'msgsnd', 'msgrcv', 'semget', 'semctl', 'semop', 'semtimedop', 'semtimedop_time64',
  'shmget', 'shmctl', 'shmat', 'shmdt',
  'mq_open', 'mq_unlink', 'mq_getsetattr', 'mq_notify', 'mq_timedsend', 'mq_timedsend_time64', 'mq_timedreceive', 'mq_timedreceive_time64',
];

/** socket(2) itself is conditional (see below); socketcall is the 32-bit multiplexer. */
const networkSyscalls = [
  'socketpair', 'socketcall', 'bind', 'listen', 'connect', 'accept', 'accept4', 'shutdown',
  'getsockname', 'getpeername', 'getsockopt', 'setsockopt',
  'send', 'sendto', 'sendmsg', 'sendmmsg', 'recv', 'recvfrom', 'recvmsg', 'recvmmsg', 'recvmmsg_time64',
];

/** Syscalls a capability makes meaningful, allowed only when the container's bounding set has it. */
const capabilityGated: Record<string, string[]> = {
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
  CAP_SYS_ADMIN: [
    'mount', 'umount', 'umount2', 'mount_setattr', 'move_mount', 'open_tree',
    'fsopen', 'fsconfig', 'fsmount', 'fspick', 'unshare', 'setns', 'clone', 'clone3',
    'sethostname', 'setdomainname', 'quotactl', 'quotactl_fd', 'bpf', 'perf_event_open',
    'fanotify_init', 'lookup_dcookie', 'syslog', 'lsm_get_self_attr', 'lsm_set_self_attr', 'lsm_list_modules',
  ],
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_CHROOT: ['chroot'],
  CAP_SYS_MODULE: ['init_module', 'finit_module', 'delete_module'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_PTRACE: ['ptrace', 'process_vm_readv', 'process_vm_writev', 'process_madvise', 'kcmp', 'pidfd_getfd'],
  CAP_SYS_RAWIO: ['iopl', 'ioperm'],
  CAP_SYS_TIME: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64'],
  CAP_SYS_TTY_CONFIG: ['vhangup'],
  CAP_SYS_NICE: ['get_mempolicy', 'set_mempolicy', 'set_mempolicy_home_node', 'mbind'],
  CAP_SYSLOG: ['syslog'],
  CAP_BPF: ['bpf'],
  CAP_PERFMON: ['perf_event_open'],
};

/** Syscalls only one architecture family has, keyed by native arch names. */
const architectureSpecific: { arches: string[]; names: string[] }[] = [
  { arches: ['amd64', 'x32'], names: ['arch_prctl'] },
  { arches: ['amd64', 'x32', 'x86'], names: ['modify_ldt'] },
  { arches: ['arm', 'arm64'], names: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'] },
  { arches: ['ppc64le'], names: ['sync_file_range2', 'swapcontext'] },
  { arches: ['s390', 's390x'], names: ['s390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr'] },
  { arches: ['riscv64'], names: ['riscv_flush_icache'] },
];

function allow(names: string[], conditions: Pick<SeccompSyscallRule, 'includes' | 'excludes' | 'args'> = {}): SeccompSyscallRule {
  return { names, action: 'SCMP_ACT_ALLOW', ...conditions };
}

const syscalls: SeccompSyscallRule[] = [
  allow([...fileSyscalls, ...waitingSyscalls, ...memorySyscalls, ...processSyscalls, ...signalSyscalls, ...timeSyscalls, ...ipcSyscalls, ...networkSyscalls]),
  // Since 4.8 seccomp filters cannot be bypassed with ptrace, so tracing one's own children is safe.
  allow(['ptrace', 'process_vm_readv', 'process_vm_writev'], { includes: { minKernel: '4.8' } }),
  // Every socket family but vsock, which reaches the hypervisor host.
  allow(['socket'], { args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }] }),
  ...harmlessPersonalities.map((value) => allow(['personality'], { args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] })),
  ...architectureSpecific.map(({ arches, names }) => allow(names, { includes: { arches } })),
  ...Object.entries(capabilityGated).map(([cap, names]) => allow(names, { includes: { caps: [cap] } })),
  // Without CAP_SYS_ADMIN, threads and processes may be cloned but no namespace created (s390 swaps the first two arguments).
  allow(['clone'], { args: [{ index: 0, value: cloneNamespaceFlags, op: 'SCMP_CMP_MASKED_EQ' }], excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] } }),
  allow(['clone'], { args: [{ index: 1, value: cloneNamespaceFlags, op: 'SCMP_CMP_MASKED_EQ' }], includes: { arches: ['s390', 's390x'] }, excludes: { caps: ['CAP_SYS_ADMIN'] } }),
  // clone3 passes its flags in memory a filter cannot read: answer ENOSYS so libc falls back to clone.
  { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, excludes: { caps: ['CAP_SYS_ADMIN'] } },
];

export const runtimeDefaultProfile: SeccompProfileSource = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: EPERM,
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    { architecture: 'SCMP_ARCH_PPC64LE', subArchitectures: [] },
    { architecture: 'SCMP_ARCH_S390X', subArchitectures: ['SCMP_ARCH_S390'] },
    { architecture: 'SCMP_ARCH_RISCV64', subArchitectures: [] },
    { architecture: 'SCMP_ARCH_LOONGARCH64', subArchitectures: [] },
  ],
  syscalls,
};
