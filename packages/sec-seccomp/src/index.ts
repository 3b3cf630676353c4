import { definePlugin, type SecurityPlugin } from '@criod/core';
import { configSchema, createSeccompPlugin, detectSeccompHost, pluginName } from './plugin.js';

export { detectSeccomp, type SeccompSupport } from './detect.js';
export { configSchema, createSeccompPlugin, detectSeccompHost, selectSeccompProfile, type SeccompConfig, type SeccompHost } from './plugin.js';
export { runtimeDefaultProfile } from './default-profile.js';
export { loadLocalhostProfile } from './localhost.js';
export { normalizeSeccompProfile, seccompProfileFromName } from './profile-names.js';
export { hostArchitecture, parseKernelVersion, renderSeccompProfile, type HostArchitecture, type RenderTarget } from './render.js';
export {
  seccompProfileSourceSchema,
  type SeccompAction,
  type SeccompArchitecture,
  type SeccompProfileSource,
  type SeccompSyscallRule,
} from './profile-schema.js';

export const plugin = definePlugin({
  kind: 'security',
  name: pluginName,
  configSection: 'seccomp',
  configSchema,
  async create(ctx): Promise<SecurityPlugin> {
    return createSeccompPlugin(ctx.config, ctx.logger, await detectSeccompHost());
  },
});

export default plugin;
