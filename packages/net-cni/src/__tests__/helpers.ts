import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NetworkPlugin, PodNetworkRequest } from '@criod/core';
import { silentLogger } from '@criod/core';
import { configSchema, plugin } from '../index.js';
import type { NetCniConfig } from '../config.js';

export const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** Temp dirs made by a test, removed by `cleanup`. */
export class TempDirs {
  private readonly dirs: string[] = [];

  async make(prefix = 'criod-cni-test-'): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), prefix));
    this.dirs.push(d);
    return d;
  }

  async cleanup(): Promise<void> {
    for (const d of this.dirs.splice(0)) await rm(d, { recursive: true, force: true });
  }
}

export async function createNetwork(config: Partial<NetCniConfig>, root: string): Promise<NetworkPlugin> {
  return plugin.create({
    config: configSchema.parse(config),
    root,
    runroot: root,
    logger: silentLogger,
    get: () => {
      throw new Error('no dependencies in tests');
    },
  });
}

export function podRequest(netnsPath: string, over: Partial<PodNetworkRequest> = {}): PodNetworkRequest {
  return {
    podId: hex(32),
    name: 'web-0',
    namespace: 'default',
    uid: `${hex(4)}-${hex(2)}-${hex(2)}-${hex(2)}-${hex(6)}`,
    netnsPath,
    portMappings: [],
    cgroupParent: '',
    annotations: {},
    ...over,
  };
}

export async function writeScript(path: string, body: string): Promise<void> {
  await writeFile(path, body);
  await chmod(path, 0o755);
}

/** Poll `fn` until it returns true or `ms` pass. */
export async function eventually(fn: () => Promise<boolean>, ms = 5000, step = 100): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, step));
  }
}
