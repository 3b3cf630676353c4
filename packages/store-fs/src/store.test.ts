import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger, type PluginInstances } from '@criod/core';
import { DirRecordStore, plugin } from './index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'criod-store-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Rec {
  id: string;
  createdAt: bigint;
  labels: Record<string, string>;
}

describe('DirRecordStore', () => {
  it('round-trips a record with bigint nanosecond timestamps exactly', async () => {
    const s = new DirRecordStore<Rec>(join(dir, 'r'), silentLogger);
    const rec = { id: 'abc', createdAt: 1_764_000_000_123_456_789n, labels: { a: '123n', b: '{"$bigint":"1"}' } };
    await s.put(rec);
    expect(await s.get('abc')).toEqual(rec);
    expect(await s.list()).toEqual([rec]);
  });

  it('answers undefined for a missing record and deletes idempotently', async () => {
    const s = new DirRecordStore<Rec>(join(dir, 'r'), silentLogger);
    expect(await s.get('nope')).toBeUndefined();
    await s.delete('nope');
    await s.put({ id: 'x', createdAt: 1n, labels: {} });
    await s.delete('x');
    await s.delete('x');
    expect(await s.list()).toEqual([]);
  });

  it('leaves no temp files behind and replaces records atomically', async () => {
    const s = new DirRecordStore<Rec>(join(dir, 'r'), silentLogger);
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.put({ id: 'same', createdAt: BigInt(i), labels: {} })));
    expect(readdirSync(join(dir, 'r'))).toEqual(['same.json']);
  });

  it('refuses ids that would escape the directory', async () => {
    const s = new DirRecordStore<Rec>(join(dir, 'r'), silentLogger);
    await expect(s.put({ id: '../evil', createdAt: 1n, labels: {} })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(s.get('a/b')).rejects.toMatchObject({ code: 'InvalidArgument' });
  });

  it('skips an unreadable record but lists the others', async () => {
    const s = new DirRecordStore<Rec>(join(dir, 'r'), silentLogger);
    await s.put({ id: 'good', createdAt: 1n, labels: {} });
    writeFileSync(join(dir, 'r', 'bad.json'), '{truncated');
    expect((await s.list()).map((r) => r.id)).toEqual(['good']);
  });
});

describe('plugin', () => {
  it('creates the store under the daemon root by default', async () => {
    const store = await plugin.create({
      config: plugin.configSchema.parse({}),
      root: dir,
      runroot: dir,
      logger: silentLogger,
      get: <K extends keyof PluginInstances>(): PluginInstances[K] => {
        throw new Error('no deps');
      },
    });
    await store.pods.put({ id: 'p1' } as never);
    expect(readdirSync(join(dir, 'pods'))).toEqual(['p1.json']);
  });
});
