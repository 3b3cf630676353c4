import { definePlugin, type SecurityPlugin } from '@criod/core';
import { appArmorPluginName, configSchema, createAppArmorPlugin, detectAppArmorHost } from './apparmor.js';

export { detectAppArmor } from './detect.js';
export { builtinProfileName, defaultProfileText } from './apparmor-profile.js';
export { appArmorPluginName, configSchema, createAppArmorPlugin, detectAppArmorHost, loadedProfiles, type AppArmorConfig, type AppArmorHost } from './apparmor.js';
export {
  createSelinuxPlugin,
  detectSelinux,
  selinuxConfigSchema,
  selinuxPluginName,
  type SelinuxConfig,
  type SelinuxContainerRequest,
  type SelinuxHost,
  type SelinuxMode,
  type SelinuxSecurityPlugin,
} from './selinux.js';
export { formatSelinuxLabel, McsLevels, parseSelinuxLabel, type SelinuxContext } from './selinux-levels.js';
export { selinuxPlugin } from './selinux-definition.js';

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
