/**
 * The harness itself: a test whose criod logged an error nothing handled fails at cleanup. A
 * security plugin of the test's own makes criod reject or throw when Status is asked for info.
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { criodBin, startCriod, waitFor, type CriodInstance } from './harness.js';

let pluginDir: string;
let faultPlugin: string;
let criod: CriodInstance | undefined;

beforeAll(() => {
  pluginDir = mkdtempSync(join(tmpdir(), 'criod-fault-plugin-'));
  // zod resolves to criod's own copy, so the plugin's config schema composes with criod's.
  symlinkSync(join(dirname(dirname(criodBin)), 'node_modules'), join(pluginDir, 'node_modules'));
  faultPlugin = join(pluginDir, 'fault-plugin.mjs');
  writeFileSync(
    faultPlugin,
    `import { z } from 'zod';
export default {
  kind: 'security',
  name: 'e2e-fault',
  configSection: 'e2e_fault',
  configSchema: z.strictObject({ fault: z.enum(['rejection', 'exception']).default('rejection') }),
  async create(ctx) {
    const fault = ctx.config.fault;
    return {
      name: 'e2e-fault',
      status: async () => ({ enabled: false, message: 'e2e fault plugin' }),
      applyToContainer: async () => {},
      info: async () => {
        if (fault === 'rejection') void Promise.reject(new Error('e2e fault: rejection'));
        else setImmediate(() => { throw new Error('e2e fault: exception'); });
        return {};
      },
    };
  },
};
`,
  );
});

afterAll(() => rmSync(pluginDir, { recursive: true, force: true }));

afterEach(async () => {
  await criod?.cleanup().catch(() => undefined);
  criod = undefined;
});

describe('the e2e harness', () => {
  it.each([
    ['rejection', /unhandled rejection/],
    ['exception', /uncaught exception/],
  ])('fails a test whose criod logged an unhandled %s', async (fault, reported) => {
    const c = await startCriod({ config: { plugins: { security: [faultPlugin] }, e2e_fault: { fault } } });
    criod = c;
    // An uncaught exception ends criod, maybe before it answers.
    await c.client.runtime.status({ verbose: true }).catch(() => undefined);
    await waitFor('criod to log the fault', () => c.logs().includes(`e2e fault: ${fault}`));
    await expect(c.cleanup()).rejects.toThrow(reported);
  });

  it('passes a test whose criod logged none', async () => {
    const c = await startCriod();
    criod = c;
    await c.client.runtime.status({ verbose: true });
    await expect(c.cleanup()).resolves.toBeUndefined();
  });
});
