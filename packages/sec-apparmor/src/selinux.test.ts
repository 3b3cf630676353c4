import { describe, expect, it } from 'vitest';
import { isPluginDefinition, silentLogger, type Logger, type PluginInstances } from '@criod/core';
import { selinuxPlugin } from '@criod/sec-selinux';
import deprecatedDefault, { plugin as deprecated } from './selinux.js';
import { selinuxPlugin as reexported } from './index.js';

function warningsLogger(warnings: string[]): Logger {
  return {
    ...silentLogger,
    warn: (obj: object | string, msg?: string) => warnings.push(typeof obj === 'string' ? obj : (msg ?? '')),
    child: () => warningsLogger(warnings),
  };
}

describe('the deprecated entry @criod/sec-apparmor/selinux', () => {
  it('is the @criod/sec-selinux plugin, with the same [selinux] section', () => {
    expect(isPluginDefinition(deprecated)).toBe(true);
    expect(deprecatedDefault).toBe(deprecated);
    expect(deprecated).toMatchObject({ kind: 'security', name: '@criod/sec-selinux', configSection: 'selinux' });
    expect(deprecated.configSchema).toBe(selinuxPlugin.configSchema);
    expect(reexported).toBe(selinuxPlugin);
  });

  it('makes the SELinux plugin and warns to select @criod/sec-selinux instead', async () => {
    const warnings: string[] = [];
    const sec = await deprecated.create({
      config: selinuxPlugin.configSchema.parse({}),
      root: '/nonexistent',
      runroot: '/nonexistent',
      logger: warningsLogger(warnings),
      get: <K extends keyof PluginInstances>(): PluginInstances[K] => {
        throw new Error('no deps');
      },
    });
    expect(sec.name).toBe('@criod/sec-selinux');
    expect((await sec.status()).message).toMatch(/SELinux/);
    expect(warnings).toEqual([expect.stringContaining('select "@criod/sec-selinux" instead')]);
  });
});
