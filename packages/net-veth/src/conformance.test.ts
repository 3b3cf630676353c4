/**
 * The network plugin contract's checks (@criod/core/testing) on a real bridge, veths and
 * namespaces pinned by @criod/net-netns (root only). The run has its own bridge name, a random
 * 10.2xx.y.0/24 subnet and a temp dir for pins and allocations, all removed afterwards.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { silentLogger, type NamespacePlugin, type NetworkPlugin, type PluginContext } from '@criod/core';
import { networkConformance } from '@criod/core/testing';
import { plugin as netnsPlugin, configSchema as netnsConfigSchema } from '@criod/net-netns';
import { configSchema, plugin } from './index.js';

const canRun = process.getuid?.() === 0;

interface Env {
  dir: string;
  bridge: string;
  namespaces: NamespacePlugin;
}

let env: Env | undefined;

function context<C>(config: C, dir: string): PluginContext<C> {
  return {
    config,
    root: dir,
    runroot: dir,
    logger: silentLogger,
    get: () => {
      throw new Error('no dependencies in tests');
    },
  };
}

describe.skipIf(!canRun)('net-veth keeps the network plugin contract', () => {
  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'net-veth-conformance-'));
    const bridge = `vtc${randomBytes(4).toString('hex')}`;
    const namespaces = await netnsPlugin.create(context(netnsConfigSchema.parse({ netns_dir: join(dir, 'netns'), pin_dir: join(dir, 'pins') }), dir));
    env = { dir, bridge, namespaces };
  });

  afterAll(async () => {
    if (!env) return;
    for (const ns of await env.namespaces.list().catch(() => [])) await env.namespaces.release(ns).catch(() => undefined);
    await execa('umount', ['-R', join(env.dir, 'netns')], { reject: false });
    await execa('ip', ['link', 'del', env.bridge], { reject: false });
    await rm(env.dir, { recursive: true, force: true });
  });

  const subnet = `10.${randomInt(200, 250)}.${randomInt(0, 255)}.0/24`;
  const checks = networkConformance({
    create: async (): Promise<NetworkPlugin> =>
      plugin.create(context(configSchema.parse({ bridge: env!.bridge, subnet, state_dir: join(env!.dir, 'ips') }), env!.dir)),
    get namespaces() {
      return env!.namespaces;
    },
  });
  for (const check of checks) it(check.name, check.run, 60_000);
});
