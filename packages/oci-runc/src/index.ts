import { definePlugin } from '@criod/core';
import { configSchema } from './config.js';
import { resolveBinaries } from './handlers.js';
import { OciRuncRuntime } from './runtime.js';

export { configSchema, type OciRuncConfig } from './config.js';
export { resolveBinaries, type ResolvedHandler } from './handlers.js';
export { OciRuncRuntime } from './runtime.js';

export const plugin = definePlugin({
  kind: 'runtime',
  name: '@criod/oci-runc',
  configSection: 'runtime',
  configSchema,
  async create(ctx) {
    const { conmon, handlers } = await resolveBinaries(ctx.config, ctx.runroot);
    const runtime = new OciRuncRuntime(ctx.config, conmon, handlers, ctx.runroot, ctx.logger.child({ plugin: '@criod/oci-runc' }));
    await runtime.init();
    return runtime;
  },
});

export default plugin;
