/**
 * The AppArmor security plugin. Where AppArmor is enabled it installs criod's default profile at
 * startup and gives each container its profile: the default for runtime/default (and for
 * unprivileged containers that name none, as Kubernetes expects), a loaded profile for
 * localhost/<name>, none for unconfined. Where it is not, requests are ignored, as CRI-O does.
 */
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import {
  FailedPreconditionError,
  findExecutable,
  InternalError,
  InvalidArgumentError,
  type Logger,
  type SecurityPlugin,
  type SecurityProfile,
} from '@criod/core';
import { z } from 'zod';
import { builtinProfileName, defaultProfileText } from './apparmor-profile.js';
import { detectAppArmor } from './detect.js';

export const appArmorPluginName = '@criod/sec-apparmor';

export const configSchema = z.strictObject({
  default_profile: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default(builtinProfileName)
    .describe(
      `AppArmor profile applied for runtime/default (and to unprivileged containers that name none), a loaded profile's name (letters, digits, "_", ".", "-"); criod installs it itself when it is "${builtinProfileName}". Ignored where AppArmor is off.`,
    ),
});

export type AppArmorConfig = z.infer<typeof configSchema>;

/** Where the plugin finds AppArmor; tests point it at a fake securityfs and parser. */
export interface AppArmorHost {
  enabled: boolean;
  /** securityfs mount point; loaded profiles are listed in <securityfs>/apparmor/profiles. */
  securityfs: string;
  /** apparmor_parser, by name (looked up in PATH and the sbin dirs) or path. */
  parser: string;
}

export async function detectAppArmorHost(): Promise<AppArmorHost> {
  return { enabled: await detectAppArmor(), securityfs: '/sys/kernel/security', parser: 'apparmor_parser' };
}

/** Names of the profiles the kernel has loaded ("name (mode)" per line). */
export async function loadedProfiles(securityfs: string): Promise<Set<string>> {
  const path = `${securityfs}/apparmor/profiles`;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InternalError(`cannot list loaded AppArmor profiles from ${path}: ${(err as Error).message}`, { cause: err });
  }
  const names = text.split('\n').flatMap((line) => {
    const name = /^(.+) \([a-z_]+\)$/.exec(line.trim())?.[1];
    return name === undefined ? [] : [name];
  });
  return new Set(names);
}

/** Load (or replace) a profile in the kernel; -K keeps apparmor_parser from writing its cache. */
async function installProfile(host: AppArmorHost, name: string, text: string): Promise<void> {
  const parser = await findExecutable(host.parser);
  if (!parser)
    throw new FailedPreconditionError(
      `AppArmor is enabled but ${host.parser} was not found: install it (apt-get install apparmor) to load the ${name} profile`,
    );
  const result = await execa(parser, ['-Kr'], { input: text, reject: false });
  if (result.exitCode !== 0) {
    throw new InternalError(`${parser} -Kr failed to load AppArmor profile ${name} (exit ${result.exitCode}): ${result.stderr.trim() || result.stdout.trim()}`);
  }
  if (!(await loadedProfiles(host.securityfs)).has(name)) {
    throw new InternalError(`${parser} reported success but AppArmor profile ${name} is not listed in ${host.securityfs}/apparmor/profiles`);
  }
}

const localhostPrefix = 'localhost/';
const runtimeDefault: SecurityProfile = { type: 'runtimeDefault', localhostRef: '' };
const unconfined: SecurityProfile = { type: 'unconfined', localhostRef: '' };

/** The profile name a container runs with, undefined for unconfined. */
function profileName(profile: SecurityProfile, config: AppArmorConfig, containerName: string): string | undefined {
  switch (profile.type) {
    case 'unconfined':
      return undefined;
    case 'runtimeDefault':
      return config.default_profile;
    case 'localhost': {
      const ref = profile.localhostRef.startsWith(localhostPrefix) ? profile.localhostRef.slice(localhostPrefix.length) : profile.localhostRef;
      if (ref.trim() === '' || /[\n\0]/.test(ref))
        throw new InvalidArgumentError(`container ${containerName}: AppArmor localhost profile name "${profile.localhostRef}" is empty or malformed`);
      return ref;
    }
  }
}

export async function createAppArmorPlugin(config: AppArmorConfig, logger: Logger, host: AppArmorHost): Promise<SecurityPlugin> {
  if (!host.enabled) {
    // Like CRI-O on such hosts: AppArmor requests are ignored, said once at startup.
    logger.info('AppArmor is not enabled on this host: AppArmor profiles in requests are ignored');
  } else if (config.default_profile === builtinProfileName) {
    await installProfile(host, builtinProfileName, defaultProfileText(builtinProfileName));
    logger.info({ profile: builtinProfileName }, 'installed the default AppArmor profile');
  } else if (!(await loadedProfiles(host.securityfs)).has(config.default_profile)) {
    logger.warn({ profile: config.default_profile }, 'the configured default AppArmor profile is not loaded: runtime/default containers will fail until it is');
  }

  async function requireLoaded(name: string, containerName: string): Promise<void> {
    if ((await loadedProfiles(host.securityfs)).has(name)) return;
    throw new FailedPreconditionError(`container ${containerName}: AppArmor profile ${name} is not loaded on this node (load it with apparmor_parser -r)`);
  }

  return {
    name: appArmorPluginName,
    async status() {
      return {
        enabled: host.enabled,
        message: host.enabled ? `AppArmor enabled, default profile ${config.default_profile}` : 'AppArmor not enabled on this host',
      };
    },
    async info() {
      return { enabled: host.enabled, defaultProfile: config.default_profile };
    },
    async applyToContainer(spec, req) {
      if (!host.enabled) return;
      const name = profileName(req.apparmor ?? (req.privileged ? unconfined : runtimeDefault), config, req.containerName);
      if (name === undefined) {
        if (spec.process) delete spec.process.apparmorProfile;
        return;
      }
      await requireLoaded(name, req.containerName);
      // A spec without a process runs nothing there is to confine.
      if (spec.process) spec.process.apparmorProfile = name;
    },
  };
}
