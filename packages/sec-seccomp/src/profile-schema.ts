/**
 * The seccomp profile formats. A profile *source* is what criod's built-in default and Localhost
 * files are written in: the OCI LinuxSeccomp object plus the conditions Docker-style profiles
 * use (`archMap`, per-rule `includes`/`excludes` on capabilities, architectures and kernel
 * version, `comment`, the old single `name`). Rendering a source for one container gives the
 * plain OciSeccomp that lands in the spec.
 */
import type { OciSeccompAction, OciSeccompArch, OciSeccompFlag, OciSeccompOperator } from '@criod/core';
import { z } from 'zod';

export const seccompActions = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
] as const satisfies readonly OciSeccompAction[];

export const seccompArchitectures = [
  'SCMP_ARCH_X86',
  'SCMP_ARCH_X86_64',
  'SCMP_ARCH_X32',
  'SCMP_ARCH_ARM',
  'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC',
  'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X',
  'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64',
  'SCMP_ARCH_RISCV64',
  'SCMP_ARCH_LOONGARCH64',
] as const satisfies readonly OciSeccompArch[];

export const seccompFlags = [
  'SECCOMP_FILTER_FLAG_TSYNC',
  'SECCOMP_FILTER_FLAG_LOG',
  'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
] as const satisfies readonly OciSeccompFlag[];

export const seccompOperators = [
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
] as const satisfies readonly OciSeccompOperator[];

export type SeccompAction = (typeof seccompActions)[number];
export type SeccompArchitecture = (typeof seccompArchitectures)[number];

/** JSON numbers are doubles: larger argument values would silently change. */
const argumentValue = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER, 'is larger than 2^53-1 and cannot be represented exactly');

const errno = z.number().int().min(0).max(4095);

const argumentSchema = z.strictObject({
  index: z.number().int().min(0).max(5),
  value: argumentValue,
  valueTwo: argumentValue.optional(),
  op: z.enum(seccompOperators),
});

/** Kernel release such as "4.8" or "5.10.1". */
const kernelVersion = z.string().regex(/^\d+(\.\d+){0,2}$/, 'must be a kernel version such as "4.8"');

const conditionLists = {
  /** Capability names (CAP_…) of the container's bounding set. */
  caps: z.array(z.string().min(1)).nullish(),
  /** Native architectures in Go's naming: amd64, arm64, arm, 386, ppc64le, s390x, riscv64 … */
  arches: z.array(z.string().min(1)).nullish(),
};

const syscallRuleSchema = z
  .strictObject({
    names: z.array(z.string().min(1)).nullish(),
    /** The single-name form of older Docker profiles. */
    name: z.string().min(1).optional(),
    action: z.enum(seccompActions),
    errnoRet: errno.optional(),
    args: z.array(argumentSchema).nullish(),
    comment: z.string().optional(),
    /** The rule applies only when every capability is present, the arch is listed, the kernel is at least this. */
    includes: z.strictObject({ ...conditionLists, minKernel: kernelVersion.optional() }).optional(),
    /** The rule is dropped when any capability is present or the arch is listed. */
    excludes: z.strictObject(conditionLists).optional(),
  })
  .superRefine((rule, ctx) => {
    const hasNames = (rule.names?.length ?? 0) > 0;
    if (hasNames === (rule.name !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a syscall rule needs exactly one of "names" (non-empty) or "name"' });
    }
    if (rule.errnoRet !== undefined && rule.action !== 'SCMP_ACT_ERRNO' && rule.action !== 'SCMP_ACT_TRACE') {
      ctx.addIssue({ code: 'custom', path: ['errnoRet'], message: 'is only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE' });
    }
  });

export const seccompProfileSourceSchema = z
  .strictObject({
    defaultAction: z.enum(seccompActions),
    defaultErrnoRet: errno.optional(),
    architectures: z.array(z.enum(seccompArchitectures)).nullish(),
    /** Per native architecture, the architectures to filter (Docker profiles). */
    archMap: z
      .array(z.strictObject({ architecture: z.enum(seccompArchitectures), subArchitectures: z.array(z.enum(seccompArchitectures)).nullish() }))
      .nullish(),
    flags: z.array(z.enum(seccompFlags)).nullish(),
    listenerPath: z.string().min(1).optional(),
    listenerMetadata: z.string().optional(),
    syscalls: z.array(syscallRuleSchema).nullish(),
  })
  .superRefine((profile, ctx) => {
    if ((profile.architectures?.length ?? 0) > 0 && (profile.archMap?.length ?? 0) > 0) {
      ctx.addIssue({ code: 'custom', message: 'set either "architectures" or "archMap", not both' });
    }
    if (profile.defaultAction === 'SCMP_ACT_NOTIFY') {
      ctx.addIssue({ code: 'custom', path: ['defaultAction'], message: 'SCMP_ACT_NOTIFY cannot be the default action' });
    }
    const notifies = profile.syscalls?.some((s) => s.action === 'SCMP_ACT_NOTIFY') ?? false;
    if (notifies && profile.listenerPath === undefined) {
      ctx.addIssue({ code: 'custom', path: ['listenerPath'], message: 'is required when a rule uses SCMP_ACT_NOTIFY' });
    }
  });

export type SeccompProfileSource = z.input<typeof seccompProfileSourceSchema>;
export type SeccompSyscallRule = z.input<typeof syscallRuleSchema>;
