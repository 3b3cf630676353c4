/**
 * The namespace plugin contract's checks (@criod/core/testing) on real pinned namespaces (root
 * only), in a temp dir whose mounts are undone and which is removed afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { silentLogger } from '@criod/core';
import { namespaceConformance } from '@criod/core/testing';
import { configSchema, plugin } from './index.js';

const canRun = process.getuid?.() === 0;
let dir: string | undefined;

describe.skipIf(!canRun)('net-netns keeps the namespace plugin contract', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'criod-netns-conformance-'));
  });

  afterAll(async () => {
    if (!dir) return;
    const ns = await create();
    for (const pinned of await ns.list().catch(() => [])) await ns.release(pinned).catch(() => undefined);
    for (const mount of ['netns', 'pins']) await execa('umount', ['-R', join(dir, mount)], { reject: false });
    await rm(dir, { recursive: true, force: true });
  });

  const create = () =>
    plugin.create({
      config: configSchema.parse({ netns_dir: join(dir!, 'netns'), pin_dir: join(dir!, 'pins') }),
      root: join(dir!, 'root'),
      runroot: join(dir!, 'run'),
      logger: silentLogger,
      get: () => {
        throw new Error('net-netns requires no other plugin');
      },
    });

  for (const check of namespaceConformance({ create })) it(check.name, check.run, 60_000);
});
