import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger, type PluginInstances } from '@criod/core';
import { configSchema, plugin } from './index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'criod-ocirunc-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function fakeBinary(name: string, versionLine: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\necho "${versionLine}"\n`);
  chmodSync(p, 0o755);
  return p;
}

function create(config: unknown) {
  return plugin.create({
    config: configSchema.parse(config),
    root: dir,
    runroot: join(dir, 'run'),
    logger: silentLogger,
    get: <K extends keyof PluginInstances>(): PluginInstances[K] => {
      throw new Error('no deps');
    },
  });
}

describe('config', () => {
  it('defaults to runc under conmon with cgroupfs', () => {
    expect(configSchema.parse({})).toEqual({
      default_handler: 'runc',
      conmon: 'conmon',
      cgroup_manager: 'cgroupfs',
      handlers: { runc: { path: 'runc', root: '' } },
    });
  });

  it('refuses a default handler that is not configured', () => {
    const r = configSchema.safeParse({ default_handler: 'kata' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['default_handler']);
  });

  it('refuses unknown keys and bad cgroup managers', () => {
    expect(configSchema.safeParse({ cgroup_mgr: 'x' }).success).toBe(false);
    expect(configSchema.safeParse({ cgroup_manager: 'none' }).success).toBe(false);
  });
});

describe('plugin', () => {
  it('names a missing conmon with an install hint', async () => {
    await expect(create({ conmon: join(dir, 'nope') })).rejects.toThrow(/conmon not found .*apt-get install conmon/);
  });

  it('names a missing handler binary and its handler', async () => {
    const conmon = fakeBinary('conmon', 'conmon version 2.1.6');
    await expect(create({ conmon, handlers: { runc: { path: join(dir, 'runc-missing') } } })).rejects.toThrow(
      /runtime handler "runc": binary ".*runc-missing" not found/,
    );
  });

  it('reports handlers, the cgroup driver and readiness from real binaries', async () => {
    const conmon = fakeBinary('conmon', 'conmon version 2.1.6');
    const runc = fakeBinary('myrunc', 'runc version 1.1.5');
    const rt = await create({
      conmon,
      cgroup_manager: 'systemd',
      default_handler: 'fast',
      handlers: { runc: { path: runc }, fast: { path: runc, root: '/run/fast' } },
    });
    expect(rt.handlers().map((h) => h.name)).toEqual(['fast', 'runc']);
    expect(rt.cgroupDriver()).toBe('systemd');
    expect(await rt.status()).toEqual({ ready: true, reason: '', message: '' });
    const info = (await rt.info?.()) as { handlers: Record<string, { root: string; version: string }> };
    expect(info.handlers.runc).toMatchObject({ root: join(dir, 'run', 'runtimes', 'runc'), version: 'runc version 1.1.5' });
    expect(info.handlers.fast?.root).toBe('/run/fast');
    rmSync(runc);
    expect(await rt.status()).toMatchObject({ ready: false, reason: 'RuntimeBinaryMissing' });
  });
});
