/**
 * The per-pod cache of ADD results: `<cache_dir>/<podId>.json`, written atomically. It keeps the
 * exact config list the pod was attached with, so DEL and CHECK work after a daemon restart or
 * after the conf dir changed or was emptied.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isNotFound, writeFileAtomic } from '@criod/core';
import { z } from 'zod';
import type { NetworkConfList } from './confload.js';

export const CACHE_KIND = 'criod-cni-cache/v1';

export interface CacheEntry {
  kind: typeof CACHE_KIND;
  podId: string;
  ifName: string;
  /** The netns path of the ADD. */
  netns: string;
  network: string;
  /** The conf file the list was loaded from (for information). */
  file: string;
  /** CNI_ARGS of the ADD, as pairs. */
  cniArgs: [string, string][];
  /** Capability arguments of the ADD (runtimeConfig source), reused for DEL. */
  capabilityArgs: Record<string, unknown>;
  /** The exact network configuration list the ADD ran. */
  config: NetworkConfList;
  /** The final result of the chain. */
  result: Record<string, unknown>;
  /** ISO time of the ADD. */
  createdAt: string;
}

const entrySchema = z.looseObject({
  kind: z.literal(CACHE_KIND),
  podId: z.string(),
  ifName: z.string(),
  netns: z.string(),
  network: z.string(),
  file: z.string(),
  cniArgs: z.array(z.tuple([z.string(), z.string()])),
  capabilityArgs: z.record(z.string(), z.unknown()),
  config: z.looseObject({
    cniVersion: z.string(),
    name: z.string(),
    disableCheck: z.boolean().optional(),
    plugins: z.array(z.looseObject({ type: z.string(), capabilities: z.record(z.string(), z.boolean()).optional() })).min(1),
  }),
  result: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});

export function cachePath(cacheDir: string, podId: string): string {
  return join(cacheDir, `${podId}.json`);
}

export async function writeCache(cacheDir: string, entry: CacheEntry): Promise<void> {
  await writeFileAtomic(cachePath(cacheDir, entry.podId), `${JSON.stringify(entry, null, 2)}\n`);
}

export type CacheRead = { state: 'absent' } | { state: 'ok'; entry: CacheEntry } | { state: 'corrupt'; message: string };

export async function readCache(cacheDir: string, podId: string): Promise<CacheRead> {
  const path = cachePath(cacheDir, podId);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return { state: 'absent' };
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { state: 'corrupt', message: `${path}: invalid JSON: ${(err as Error).message}` };
  }
  const r = entrySchema.safeParse(raw);
  if (!r.success) return { state: 'corrupt', message: `${path}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  return { state: 'ok', entry: r.data as unknown as CacheEntry };
}

export async function deleteCache(cacheDir: string, podId: string): Promise<void> {
  await rm(cachePath(cacheDir, podId), { force: true });
}
