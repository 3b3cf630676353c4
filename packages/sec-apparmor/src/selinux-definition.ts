/**
 * The SELinux plugin definition, also reachable as the package entry "@criod/sec-apparmor/selinux"
 * so it can be listed in [plugins] security on its own.
 */
import { definePlugin, type SecurityPlugin } from '@criod/core';
import { createSelinuxPlugin, detectSelinux, selinuxConfigSchema, selinuxPluginName } from './selinux.js';

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
