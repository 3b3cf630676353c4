/**
 * The seccomp security plugin: picks the container's profile (none when privileged, else its
 * own, else the configured fallback), renders it for the container's capabilities and the host,
 * and puts it in `linux.seccomp` of the OCI spec.
 */
import type { ContainerSecurityRequest, Logger, OciSpec, SecurityPlugin, SecurityProfile } from '@criod/core';
import { z } from 'zod';
import { runtimeDefaultProfile } from './default-profile.js';
import { detectSeccomp, type SeccompSupport } from './detect.js';
import { loadLocalhostProfile } from './localhost.js';
import { normalizeSeccompProfile, seccompProfileFromName } from './profile-names.js';
import { hostArchitecture, hostKernelVersion, renderSeccompProfile, type HostArchitecture } from './render.js';

export const pluginName = '@criod/sec-seccomp';

export const configSchema = z.strictObject({
  default_profile: z
    .enum(['unconfined', 'runtime/default', 'docker/default'])
    .default('unconfined')
    .describe(
      'Profile of containers whose CRI config sets none: "unconfined" (the CRI default, no filter), or "runtime/default" / "docker/default" (criod\'s default profile). Privileged containers never get one.',
    ),
});

export type SeccompConfig = z.infer<typeof configSchema>;

/** What the host offers; tests pass their own. */
export interface SeccompHost {
  support: SeccompSupport;
  /** Undefined on an architecture seccomp has no name for. */
  arch: HostArchitecture | undefined;
  kernel: readonly number[];
}

export async function detectSeccompHost(): Promise<SeccompHost> {
  return { support: await detectSeccomp(), arch: hostArchitecture(), kernel: hostKernelVersion() };
}

/**
 * The profile a container runs with. A privileged container is never confined, whatever profile
 * it names (containerd and CRI-O skip seccomp for it too): privileged means the host's full power.
 */
export function selectSeccompProfile(req: ContainerSecurityRequest, config: SeccompConfig): SecurityProfile {
  if (req.privileged) return { type: 'unconfined', localhostRef: '' };
  if (req.seccomp) return normalizeSeccompProfile(req.seccomp);
  return seccompProfileFromName(config.default_profile) ?? { type: 'unconfined', localhostRef: '' };
}

/** The container's bounding capabilities, which core puts in the spec before security plugins run. */
function boundingCapabilities(spec: OciSpec): string[] {
  return spec.process?.capabilities?.bounding ?? [];
}

export function createSeccompPlugin(config: SeccompConfig, logger: Logger, host: SeccompHost): SecurityPlugin {
  // Undefined when seccomp cannot be used here: containers then run without a filter.
  const arch = host.support.supported ? host.arch : undefined;
  if (!host.support.supported) logger.warn('kernel has no seccomp filter support: containers run without seccomp');
  else if (!host.arch) logger.warn(`seccomp has no architecture name for ${process.arch}: containers run without seccomp`);

  return {
    name: pluginName,
    async status() {
      if (!arch) return { enabled: false, message: host.support.supported ? `seccomp unusable on ${process.arch}` : 'seccomp not supported by the kernel' };
      return { enabled: true, message: `seccomp filter mode (${host.support.actions.join(' ')}), default profile ${config.default_profile}` };
    },
    async info() {
      return { ...host.support, arch: host.arch?.seccomp ?? '', defaultProfile: config.default_profile };
    },
    // The pod-level profile confines the pod's infra process and is every container's default in
    // kubelet's eyes: a Localhost one must be a readable, valid profile before the pod is made.
    async validatePod(security) {
      const profile = security.seccompProfile && normalizeSeccompProfile(security.seccompProfile);
      if (profile?.type === 'localhost' && !security.privileged) await loadLocalhostProfile(profile.localhostRef);
    },
    async applyToContainer(spec, req) {
      const profile = selectSeccompProfile(req, config);
      if (profile.type === 'unconfined') {
        if (spec.linux) delete spec.linux.seccomp;
        return;
      }
      if (!arch) return;
      const source = profile.type === 'runtimeDefault' ? runtimeDefaultProfile : await loadLocalhostProfile(profile.localhostRef);
      const seccomp = renderSeccompProfile(source, { arch, kernel: host.kernel, capabilities: boundingCapabilities(spec) });
      spec.linux = { ...spec.linux, seccomp };
    },
  };
}
