import { describe, expect, it } from 'vitest';
import { runtimeDefaultProfile } from './default-profile.js';
import type { OciSeccomp } from '@criod/core';
import { seccompProfileSourceSchema } from './profile-schema.js';
import { hostArchitecture, parseKernelVersion, renderSeccompProfile, type HostArchitecture } from './render.js';

const amd64 = hostArchitecture('x64') as HostArchitecture;
const arm64 = hostArchitecture('arm64') as HostArchitecture;
const modernKernel = [6, 1, 0];

function render(capabilities: string[] = [], arch = amd64, kernel = modernKernel): OciSeccomp {
  return renderSeccompProfile(runtimeDefaultProfile, { arch, kernel, capabilities });
}

/** Names allowed whatever their arguments. */
function allowed(profile: OciSeccomp): Set<string> {
  return new Set((profile.syscalls ?? []).filter((s) => s.action === 'SCMP_ACT_ALLOW' && !s.args).flatMap((s) => s.names));
}

function rulesFor(profile: OciSeccomp, name: string) {
  return (profile.syscalls ?? []).filter((s) => s.names.includes(name));
}

describe('the RuntimeDefault profile', () => {
  it('is valid in the format Localhost profiles are checked against', () => {
    expect(seccompProfileSourceSchema.safeParse(runtimeDefaultProfile).success).toBe(true);
  });

  it('fails everything it does not list with EPERM', () => {
    const p = render();
    expect(p.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(p.defaultErrnoRet).toBe(1);
  });

  it('filters x86_64 with its x86 and x32 sub-architectures, aarch64 with arm', () => {
    expect(render().architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    expect(render([], arm64).architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  });

  it('allows everyday syscalls and denies the ones that reach the host kernel', () => {
    const ok = allowed(render());
    for (const name of ['read', 'write', 'openat', 'execve', 'mkdirat', 'futex', 'epoll_pwait', 'rt_sigreturn', 'getrandom', 'bind']) {
      expect(ok, name).toContain(name);
    }
    for (const name of [
      'keyctl',
      'add_key',
      'request_key',
      'kexec_load',
      'swapon',
      'userfaultfd',
      'mount',
      'umount2',
      'unshare',
      'setns',
      'reboot',
      'init_module',
      'bpf',
      'chroot',
    ]) {
      expect(ok, name).not.toContain(name);
      expect(
        rulesFor(render(), name).filter((s) => s.action === 'SCMP_ACT_ALLOW'),
        name,
      ).toEqual([]);
    }
  });

  it('allows per-architecture syscalls only on their architecture', () => {
    expect(allowed(render())).toContain('arch_prctl');
    expect(allowed(render())).toContain('modify_ldt');
    expect(allowed(render())).not.toContain('set_tls');
    expect(allowed(render([], arm64))).toContain('set_tls');
    expect(allowed(render([], arm64))).not.toContain('arch_prctl');
  });

  it('allows capability-gated syscalls only with the capability', () => {
    const cases: Record<string, string[]> = {
      CAP_SYS_ADMIN: ['mount', 'umount2', 'unshare', 'setns', 'sethostname', 'clone', 'clone3'],
      CAP_SYS_PTRACE: ['kcmp', 'pidfd_getfd', 'process_madvise'],
      CAP_SYS_MODULE: ['init_module', 'finit_module', 'delete_module'],
      CAP_SYS_BOOT: ['reboot'],
      CAP_SYS_CHROOT: ['chroot'],
      CAP_SYS_TIME: ['settimeofday', 'clock_settime'],
      CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
      CAP_BPF: ['bpf'],
    };
    for (const [cap, names] of Object.entries(cases)) {
      const without = allowed(render([]));
      const withCap = allowed(render([cap]));
      for (const name of names) {
        expect(without, `${name} without ${cap}`).not.toContain(name);
        expect(withCap, `${name} with ${cap}`).toContain(name);
      }
    }
  });

  it('allows clone without namespace flags, and answers clone3 with ENOSYS, unless CAP_SYS_ADMIN', () => {
    const plain = render();
    expect(rulesFor(plain, 'clone')).toEqual([
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, op: 'SCMP_CMP_MASKED_EQ' }] },
    ]);
    expect(rulesFor(plain, 'clone3')).toEqual([{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);

    const admin = render(['CAP_SYS_ADMIN']);
    expect(rulesFor(admin, 'clone').every((s) => s.action === 'SCMP_ACT_ALLOW' && !s.args)).toBe(true);
    expect(rulesFor(admin, 'clone3').map((s) => s.action)).toEqual(['SCMP_ACT_ALLOW']);
  });

  it('allows personality only with harmless values', () => {
    const values = rulesFor(render(), 'personality').map((s) => {
      expect(s.args).toHaveLength(1);
      expect(s.args?.[0]?.op).toBe('SCMP_CMP_EQ');
      return s.args?.[0]?.value;
    });
    expect(values).toEqual([0, 8, 0x20000, 0x20008, 0xffffffff]);
  });

  it('allows every socket family but AF_VSOCK', () => {
    expect(rulesFor(render(), 'socket')).toEqual([{ names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] }]);
  });

  it('allows ptrace without CAP_SYS_PTRACE only on kernels from 4.8', () => {
    expect(allowed(render([], amd64, [4, 8]))).toContain('ptrace');
    expect(allowed(render([], amd64, [4, 4, 200]))).not.toContain('ptrace');
    expect(allowed(render(['CAP_SYS_PTRACE'], amd64, [4, 4]))).toContain('ptrace');
  });
});

describe('rendering', () => {
  it('leaves the architectures to runc on a host the archMap does not name', () => {
    const p = renderSeccompProfile(runtimeDefaultProfile, { arch: hostArchitecture('arm') as HostArchitecture, kernel: modernKernel, capabilities: [] });
    expect(p.architectures).toBeUndefined();
  });

  it('keeps a plain OCI profile as it is', () => {
    const p = renderSeccompProfile(
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64'],
        flags: ['SECCOMP_FILTER_FLAG_LOG'],
        syscalls: [{ name: 'mkdir', action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
      },
      { arch: amd64, kernel: modernKernel, capabilities: [] },
    );
    expect(p).toEqual({
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      flags: ['SECCOMP_FILTER_FLAG_LOG'],
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
    });
  });

  it('reads kernel versions from uname releases', () => {
    expect(parseKernelVersion('6.1.0-18-amd64')).toEqual([6, 1, 0]);
    expect(parseKernelVersion('6.18.44-fc-v595')).toEqual([6, 18, 44]);
    expect(parseKernelVersion('5.10')).toEqual([5, 10, 0]);
    expect(() => parseKernelVersion('linux')).toThrow(/kernel version/);
  });

  it('names the host architectures seccomp knows', () => {
    expect(hostArchitecture('x64')).toEqual({ name: 'amd64', seccomp: 'SCMP_ARCH_X86_64' });
    expect(hostArchitecture('arm64')).toEqual({ name: 'arm64', seccomp: 'SCMP_ARCH_AARCH64' });
    expect(hostArchitecture('sparc')).toBeUndefined();
  });
});
