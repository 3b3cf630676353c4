import { definePlugin, UnimplementedError, type SecurityPlugin } from '@criod/core';
import { z } from 'zod';
import { detectAppArmor } from './detect.js';

export { detectAppArmor } from './detect.js';

export const configSchema = z.strictObject({
  /** Name of the profile installed and applied for runtime/default. */
  default_profile: z.string().regex(/^[A-Za-z0-9_.-]+$/).default('criod-default'),
});

export type AppArmorConfig = z.infer<typeof configSchema>;

export const plugin = definePlugin({
  kind: 'security',
  name: '@criod/sec-apparmor',
  configSection: 'apparmor',
  configSchema,
  async create(ctx): Promise<SecurityPlugin> {
    const enabled = await detectAppArmor();
    const logger = ctx.logger.child({ plugin: '@criod/sec-apparmor' });
    // Like CRI-O on such hosts: AppArmor requests are ignored, said once at startup.
    if (!enabled) logger.info('AppArmor is not enabled on this host: AppArmor profiles in requests are ignored');
    return {
      name: '@criod/sec-apparmor',
      async status() {
        return { enabled, message: enabled ? `AppArmor enabled, default profile ${ctx.config.default_profile}` : 'AppArmor not enabled on this host' };
      },
      async info() {
        return { enabled, defaultProfile: ctx.config.default_profile };
      },
      async applyToContainer(_spec, req) {
        if (!enabled || !req.apparmor || req.apparmor.type === 'unconfined') return;
        throw new UnimplementedError(`AppArmor profile ${req.apparmor.type} for container ${req.containerName} is not supported by this criod build yet`);
      },
    };
  },
});

export default plugin;
