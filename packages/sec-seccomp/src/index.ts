import { definePlugin, UnimplementedError, type SecurityPlugin } from '@criod/core';
import { z } from 'zod';
import { detectSeccomp } from './detect.js';

export { detectSeccomp, type SeccompSupport } from './detect.js';

export const configSchema = z.strictObject({
  /** Profile for containers whose CRI config sets none: "unconfined" (the CRI default) or "runtime/default". */
  default_profile: z.enum(['unconfined', 'runtime/default']).default('unconfined'),
});

export type SeccompConfig = z.infer<typeof configSchema>;

export const plugin = definePlugin({
  kind: 'security',
  name: '@criod/sec-seccomp',
  configSection: 'seccomp',
  configSchema,
  async create(ctx): Promise<SecurityPlugin> {
    const support = await detectSeccomp();
    const logger = ctx.logger.child({ plugin: '@criod/sec-seccomp' });
    if (!support.supported) logger.warn('kernel has no seccomp filter support: containers run without seccomp');
    return {
      name: '@criod/sec-seccomp',
      async status() {
        return { enabled: support.supported, message: support.supported ? `seccomp filter mode (${support.actions.join(' ')})` : 'seccomp not supported by the kernel' };
      },
      async info() {
        return { ...support, defaultProfile: ctx.config.default_profile };
      },
      async applyToContainer(_spec, req) {
        const type = req.seccomp?.type ?? (ctx.config.default_profile === 'runtime/default' ? 'runtimeDefault' : 'unconfined');
        if (!support.supported || type === 'unconfined' || (req.privileged && !req.seccomp)) return;
        throw new UnimplementedError(`seccomp profile ${type} for container ${req.containerName} is not supported by this criod build yet`);
      },
    };
  },
});

export default plugin;
