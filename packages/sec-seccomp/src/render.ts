/**
 * Rendering a profile source for one container: the conditions of each rule are evaluated
 * against the host's architecture and kernel and the container's capabilities, leaving the
 * plain OciSeccomp the runtime loads.
 */
import { release } from 'node:os';
import { InvalidArgumentError, type OciSeccomp, type OciSyscall } from '@criod/core';
import type { SeccompArchitecture, SeccompProfileSource, SeccompSyscallRule } from './profile-schema.js';

/** A native architecture: its name in profiles (Go's GOARCH) and its seccomp arch. */
export interface HostArchitecture {
  name: string;
  seccomp: SeccompArchitecture;
}

const architecturesByNodeArch: Record<string, HostArchitecture> = {
  x64: { name: 'amd64', seccomp: 'SCMP_ARCH_X86_64' },
  arm64: { name: 'arm64', seccomp: 'SCMP_ARCH_AARCH64' },
  arm: { name: 'arm', seccomp: 'SCMP_ARCH_ARM' },
  ia32: { name: '386', seccomp: 'SCMP_ARCH_X86' },
  ppc64: { name: 'ppc64le', seccomp: 'SCMP_ARCH_PPC64LE' },
  s390x: { name: 's390x', seccomp: 'SCMP_ARCH_S390X' },
  riscv64: { name: 'riscv64', seccomp: 'SCMP_ARCH_RISCV64' },
  loong64: { name: 'loong64', seccomp: 'SCMP_ARCH_LOONGARCH64' },
};

/** The architecture criod runs on (Node's process.arch), or undefined when seccomp has no name for it. */
export function hostArchitecture(nodeArch: string = process.arch): HostArchitecture | undefined {
  return architecturesByNodeArch[nodeArch];
}

/** "6.1.0-18-amd64" → [6, 1, 0]. */
export function parseKernelVersion(text: string): number[] {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`cannot read a kernel version from "${text}"`);
  return [m[1], m[2], m[3]].map((part) => Number(part ?? 0));
}

export function hostKernelVersion(): number[] {
  return parseKernelVersion(release());
}

function atLeast(version: readonly number[], minimum: readonly number[]): boolean {
  for (let i = 0; i < 3; i++) {
    const have = version[i] ?? 0;
    const need = minimum[i] ?? 0;
    if (have !== need) return have > need;
  }
  return true;
}

/** What a profile is rendered for. */
export interface RenderTarget {
  arch: HostArchitecture;
  kernel: readonly number[];
  /** The container's bounding capabilities (CAP_…), which capability conditions test. */
  capabilities: readonly string[];
}

function applies(rule: SeccompSyscallRule, target: RenderTarget): boolean {
  const caps = new Set(target.capabilities);
  const inc = rule.includes;
  if (inc?.caps?.some((c) => !caps.has(c))) return false;
  if (inc?.arches && inc.arches.length > 0 && !inc.arches.includes(target.arch.name)) return false;
  if (inc?.minKernel !== undefined && !atLeast(target.kernel, parseKernelVersion(inc.minKernel))) return false;
  const exc = rule.excludes;
  if (exc?.caps?.some((c) => caps.has(c))) return false;
  if (exc?.arches?.includes(target.arch.name)) return false;
  return true;
}

function architecturesFor(source: SeccompProfileSource, arch: HostArchitecture): SeccompArchitecture[] {
  if (source.archMap && source.archMap.length > 0) {
    const entry = source.archMap.find((a) => a.architecture === arch.seccomp);
    // A host the map does not name gets no list: runc then filters the native arch only.
    return entry ? [entry.architecture, ...(entry.subArchitectures ?? [])] : [];
  }
  return [...(source.architectures ?? [])];
}

function renderRule(rule: SeccompSyscallRule): OciSyscall {
  const out: OciSyscall = { names: rule.names && rule.names.length > 0 ? [...rule.names] : [rule.name ?? ''], action: rule.action };
  if (rule.errnoRet !== undefined) out.errnoRet = rule.errnoRet;
  if (rule.args && rule.args.length > 0) out.args = rule.args.map((a) => ({ ...a }));
  return out;
}

export function renderSeccompProfile(source: SeccompProfileSource, target: RenderTarget): OciSeccomp {
  const out: OciSeccomp = { defaultAction: source.defaultAction };
  if (source.defaultErrnoRet !== undefined) out.defaultErrnoRet = source.defaultErrnoRet;
  const architectures = architecturesFor(source, target.arch);
  if (architectures.length > 0) out.architectures = architectures;
  if (source.flags && source.flags.length > 0) out.flags = [...source.flags];
  if (source.listenerPath !== undefined) out.listenerPath = source.listenerPath;
  if (source.listenerMetadata !== undefined) out.listenerMetadata = source.listenerMetadata;
  out.syscalls = (source.syscalls ?? []).filter((rule) => applies(rule, target)).map(renderRule);
  return out;
}
