/**
 * @criod/sec-selinux: the SELinux security plugin (process and mount labels, a per-pod MCS level)
 * and the helpers it is made of.
 */
import { definePlugin, type SecurityPlugin } from '@criod/core';
import { createSelinuxPlugin, detectSelinux, selinuxConfigSchema, selinuxPluginName } from './selinux.js';

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

export const selinuxPlugin = definePlugin({
  kind: 'security',
  name: selinuxPluginName,
  configSection: 'selinux',
  configSchema: selinuxConfigSchema,
  async create(ctx): Promise<SecurityPlugin> {
    return createSelinuxPlugin(ctx.config, ctx.logger, await detectSelinux());
  },
});

export { selinuxPlugin as plugin };
export default selinuxPlugin;
