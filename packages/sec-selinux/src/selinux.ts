/**
 * The SELinux security plugin. Where SELinux is enabled every container gets a process label
 * (spec.process.selinuxLabel) and a mount label (spec.linux.mountLabel) built from its CRI
 * SELinuxOption over the container-selinux defaults, at its pod's MCS level. Core reserves a
 * pod's level with reservePod when the pod is created (or gets it reserved by the first
 * container), keeps the level reservePod returns in the pod's record to reserve it again at
 * restore, and frees it with releasePod when the pod is removed. On a host without SELinux
 * everything is a no-op.
 */
import { readFile } from 'node:fs/promises';
import { InternalError, type ContainerSecurityRequest, type Logger, type OciSpec, type SecurityPlugin } from '@criod/core';
import { z } from 'zod';
import { formatSelinuxLabel, McsLevels, parseSelinuxLabel, validateSelinuxOptions, type SelinuxContext } from './selinux-levels.js';

export const selinuxPluginName = '@criod/sec-selinux';

const label = z.string().refine(
  (value) => {
    try {
      parseSelinuxLabel(value);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be an SELinux label user:role:type:level' },
);

export const selinuxConfigSchema = z.strictObject({
  process_label: label
    .default('system_u:system_r:container_t:s0')
    .describe(
      "SELinux label of container processes, user:role:type:level; the container's own SELinuxOption overrides parts of it and its level is replaced by the pod's. Ignored where SELinux is off.",
    ),
  mount_label: label
    .default('system_u:object_r:container_file_t:s0')
    .describe(
      "SELinux label of the container's mounts (rootfs, /dev/shm, volumes), user:role:type:level; its level is replaced by the pod's. Ignored where SELinux is off.",
    ),
});

export type SelinuxConfig = z.infer<typeof selinuxConfigSchema>;

/** 'unknown' when selinuxfs is registered but not mounted where criod looks. */
export type SelinuxMode = 'enforcing' | 'permissive' | 'unknown' | 'disabled';

export interface SelinuxHost {
  enabled: boolean;
  mode: SelinuxMode;
}

/**
 * SELinux is enabled when selinuxfs is mounted (its `enforce` file says the mode) or the kernel
 * registered selinuxfs at all, which it only does when SELinux is on.
 */
export async function detectSelinux(sysRoot = '/sys', procRoot = '/proc'): Promise<SelinuxHost> {
  const enforce = await readFile(`${sysRoot}/fs/selinux/enforce`, 'utf8').catch(() => undefined);
  if (enforce !== undefined) return { enabled: true, mode: enforce.trim() === '1' ? 'enforcing' : 'permissive' };
  const filesystems = await readFile(`${procRoot}/filesystems`, 'utf8').catch(() => '');
  const registered = filesystems.split('\n').some((line) => line.trim().split(/\s+/).pop() === 'selinuxfs');
  return { enabled: registered, mode: registered ? 'unknown' : 'disabled' };
}

/** Core's request; tests may leave the pod out to check the plugin refuses to guess a level. */
export type SelinuxContainerRequest = Omit<ContainerSecurityRequest, 'podId'> & { podId?: string };

/** The SELinux plugin as core sees it: a security plugin plus per-pod level bookkeeping. */
export interface SelinuxSecurityPlugin extends SecurityPlugin {
  /**
   * The pod's MCS level, reserved on first call: `requested` (the pod's own SELinuxOption level,
   * or the level recorded before a restart) or a fresh s0:cX,cY no other pod holds. "" when
   * SELinux is off.
   */
  reserveLevel(podId: string, requested?: string): Promise<string>;
  /** Free the pod's level when the pod is removed; idempotent. */
  releaseLevel(podId: string): Promise<void>;
  applyToContainer(spec: OciSpec, req: SelinuxContainerRequest): Promise<void>;
}

export function createSelinuxPlugin(config: SelinuxConfig, logger: Logger, host: SelinuxHost, levels = new McsLevels()): SelinuxSecurityPlugin {
  const processDefaults = parseSelinuxLabel(config.process_label);
  const mountDefaults = parseSelinuxLabel(config.mount_label);
  if (!host.enabled) logger.info('SELinux is not enabled on this host: SELinux options in requests are ignored');

  return {
    name: selinuxPluginName,
    async status() {
      return { enabled: host.enabled, message: host.enabled ? `SELinux enabled (${host.mode})` : 'SELinux not enabled on this host' };
    },
    async info() {
      return { enabled: host.enabled, mode: host.mode, podsWithLevels: levels.size };
    },
    async reserveLevel(podId, requested) {
      return host.enabled ? levels.reserve(podId, requested) : '';
    },
    async releaseLevel(podId) {
      levels.release(podId);
    },
    // Core's pod hooks: RunPodSandbox (and restore) reserve, RemovePodSandbox releases. The level
    // goes back to core as the pod's state, so after a restart the pod gets the same one again
    // rather than a fresh pair its running containers do not carry.
    async reservePod(podId, { selinuxLevel, state }) {
      const level = await this.reserveLevel(podId, selinuxLevel || state?.level);
      return level ? { level } : undefined;
    },
    async releasePod(podId) {
      await this.releaseLevel(podId);
    },
    async applyToContainer(spec, req: SelinuxContainerRequest) {
      if (!host.enabled) return;
      const options: Partial<SelinuxContext> = req.selinux ?? {};
      validateSelinuxOptions(options, `container ${req.containerName}`);
      let level = options.level;
      if (!level) {
        if (!req.podId)
          throw new InternalError(`container ${req.containerName}: the SELinux plugin needs the pod id to give the container its pod's MCS level`);
        level = levels.reserve(req.podId);
      }
      // Like container-selinux's InitLabels: user and level apply to both labels, role and type to the process only.
      const mountLabel = formatSelinuxLabel({ ...mountDefaults, user: options.user || mountDefaults.user, level });
      spec.linux = { ...spec.linux, mountLabel };
      const explicit = Boolean(options.user || options.role || options.type || options.level);
      if (req.privileged && !explicit) {
        // Privileged containers run unconfined (spc_t by the policy's transition), not as container_t.
        if (spec.process) delete spec.process.selinuxLabel;
        return;
      }
      const processLabel = formatSelinuxLabel({
        user: options.user || processDefaults.user,
        role: options.role || processDefaults.role,
        type: options.type || processDefaults.type,
        level,
      });
      // A spec without a process runs nothing to label; its mounts still get the mount label.
      if (spec.process) spec.process.selinuxLabel = processLabel;
    },
  };
}
