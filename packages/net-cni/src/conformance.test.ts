/**
 * The network plugin contract's checks (@criod/core/testing) on Debian's bridge and host-local
 * plugins, in namespaces pinned by @criod/net-netns (root only). The run has its own bridge
 * name, a random 10.2xx.y.0/24 subnet with ipMasq off, and a temp dir for the conflist, the
 * result cache, host-local's dataDir and the pins, all removed afterwards.
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { silentLogger, type NamespacePlugin } from '@criod/core';
import { networkConformance } from '@criod/core/testing';
import { plugin as netnsPlugin, configSchema as netnsConfigSchema } from '@criod/net-netns';
import { TempDirs, createNetwork, hex } from './__tests__/helpers.js';

const SYSTEM_PLUGINS = '/usr/lib/cni';
const canRun =
  process.getuid?.() === 0 &&
  (await access(join(SYSTEM_PLUGINS, 'bridge')).then(
    () => true,
    () => false,
  ));

interface Env {
  base: string;
  bridge: string;
  namespaces: NamespacePlugin;
}

const tmp = new TempDirs();
let env: Env | undefined;

describe.skipIf(!canRun)('net-cni keeps the network plugin contract', () => {
  beforeAll(async () => {
    const id = hex(3);
    const base = await tmp.make();
    const bridge = `cnc${id}`;
    const subnet = `10.${200 + Math.floor(Math.random() * 55)}.${Math.floor(Math.random() * 256)}.0/24`;
    await mkdir(join(base, 'net.d'));
    await writeFile(
      join(base, 'net.d', '10-conformance.conflist'),
      JSON.stringify({
        cniVersion: '1.0.0',
        name: `cniconf-${id}`,
        plugins: [
          {
            type: 'bridge',
            bridge,
            isGateway: true,
            ipMasq: false,
            ipam: { type: 'host-local', ranges: [[{ subnet }]], dataDir: join(base, 'ipam') },
          },
        ],
      }),
    );
    const namespaces = await netnsPlugin.create({
      config: netnsConfigSchema.parse({ netns_dir: join(base, 'netns'), pin_dir: join(base, 'pins') }),
      root: base,
      runroot: base,
      logger: silentLogger,
      get: () => {
        throw new Error('no dependencies in tests');
      },
    });
    env = { base, bridge, namespaces };
  });

  afterAll(async () => {
    if (!env) return;
    for (const ns of await env.namespaces.list().catch(() => [])) await env.namespaces.release(ns).catch(() => undefined);
    await execa('umount', ['-R', join(env.base, 'netns')], { reject: false });
    await execa('ip', ['link', 'del', env.bridge], { reject: false });
    await tmp.cleanup();
  });

  const checks = networkConformance({
    create: () => createNetwork({ conf_dir: join(env!.base, 'net.d'), plugin_dirs: [SYSTEM_PLUGINS], cache_dir: join(env!.base, 'cache') }, env!.base),
    get namespaces() {
      return env!.namespaces;
    },
  });
  for (const check of checks) it(check.name, check.run, 60_000);
});
