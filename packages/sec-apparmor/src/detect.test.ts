import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, type OciSpec, type PluginInstances } from '@criod/core';
import { detectAppArmor } from './detect.js';
import { configSchema, plugin } from './index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fakeSys(enabled?: string): string {
  const d = mkdtempSync(join(tmpdir(), 'criod-sys-'));
  dirs.push(d);
  if (enabled !== undefined) {
    mkdirSync(join(d, 'module', 'apparmor', 'parameters'), { recursive: true });
    writeFileSync(join(d, 'module', 'apparmor', 'parameters', 'enabled'), enabled);
  }
  return d;
}

describe('detectAppArmor', () => {
  it('is enabled only when the module parameter says Y', async () => {
    expect(await detectAppArmor(fakeSys('Y\n'))).toBe(true);
    expect(await detectAppArmor(fakeSys('N\n'))).toBe(false);
    expect(await detectAppArmor(fakeSys())).toBe(false);
  });
});

describe('plugin on this host (no AppArmor)', () => {
  it('reports disabled and ignores profile requests', async () => {
    const sec = await plugin.create({
      config: configSchema.parse({}),
      root: '/nonexistent',
      runroot: '/nonexistent',
      logger: silentLogger,
      get: <K extends keyof PluginInstances>(): PluginInstances[K] => {
        throw new Error('no deps');
      },
    });
    const enabled = await detectAppArmor();
    expect((await sec.status()).enabled).toBe(enabled);
    const spec: OciSpec = { ociVersion: '1.0.2', process: { user: { uid: 0, gid: 0 }, cwd: '/' } };
    if (!enabled) {
      await sec.applyToContainer(spec, { podId: 'p', containerName: 'c', privileged: false, apparmor: { type: 'runtimeDefault', localhostRef: '' } });
      expect(spec.process).toEqual({ user: { uid: 0, gid: 0 }, cwd: '/' });
    }
  });
});
