import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin, isPluginDefinition } from './plugins.js';
import { FakeRuntime } from './testing/index.js';

describe('definePlugin', () => {
  const def = definePlugin({
    kind: 'runtime',
    name: '@acme/oci-fake',
    configSection: 'runtime',
    configSchema: z.strictObject({ path: z.string().default('/usr/bin/fake') }),
    async create(ctx) {
      const rt = new FakeRuntime();
      rt.handlerList = [{ name: ctx.config.path, recursiveReadOnlyMounts: false, userNamespaces: false }];
      return rt;
    },
  });

  it('is recognised as a plugin definition', () => {
    expect(isPluginDefinition(def)).toBe(true);
    expect(isPluginDefinition({ kind: 'runtime', name: 'x' })).toBe(false);
    expect(isPluginDefinition({ ...def, kind: 'teleporter' })).toBe(false);
  });

  it('parses an empty section into its defaults', () => {
    expect(def.configSchema.parse({})).toEqual({ path: '/usr/bin/fake' });
  });
});
