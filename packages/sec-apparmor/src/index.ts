import { definePlugin, type SecurityPlugin } from '@criod/core';
import { appArmorPluginName, configSchema, createAppArmorPlugin, detectAppArmorHost } from './apparmor.js';

export { detectAppArmor } from './detect.js';
export { builtinProfileName, defaultProfileText } from './apparmor-profile.js';
export {
  appArmorPluginName,
  configSchema,
  createAppArmorPlugin,
  detectAppArmorHost,
  loadedProfiles,
  type AppArmorConfig,
  type AppArmorHost,
} from './apparmor.js';
/** @deprecated The SELinux plugin and its helpers moved to @criod/sec-selinux; import them from there. */
export {
  createSelinuxPlugin,
  detectSelinux,
  formatSelinuxLabel,
  McsLevels,
  parseSelinuxLabel,
  selinuxConfigSchema,
  selinuxPlugin,
  selinuxPluginName,
  type SelinuxConfig,
  type SelinuxContainerRequest,
  type SelinuxContext,
  type SelinuxHost,
  type SelinuxMode,
  type SelinuxSecurityPlugin,
} from '@criod/sec-selinux';

export const plugin = definePlugin({
  kind: 'security',
  name: appArmorPluginName,
  configSection: 'apparmor',
  configSchema,
  async create(ctx): Promise<SecurityPlugin> {
    return createAppArmorPlugin(ctx.config, ctx.logger, await detectAppArmorHost());
  },
});

export default plugin;
