import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger, type ImageRecord, type PluginInstances } from '@criod/core';
import { DirRecordStore, FsImageStore, plugin } from './index.js';

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

describe('FsImageStore', () => {
  const img: ImageRecord = {
    id: 'f'.repeat(64),
    repoTags: ['127.0.0.1:5000/busybox:latest'],
    repoDigests: [`127.0.0.1:5000/busybox@sha256:${'a'.repeat(64)}`],
    size: 10,
    config: { entrypoint: [], cmd: [], env: [], workingDir: "", user: "", stopSignal: "", volumes: [], labels: {} },
    username: '',
    pinned: false,
  };

  it('resolves by id, sha256 id, unique prefix, tag and digest', async () => {
    const s = new FsImageStore(join(dir, 'images'), silentLogger);
    await s.records.put(img);
    for (const ref of [img.id, `sha256:${img.id}`, 'fff', img.repoTags[0]!, img.repoDigests[0]!]) {
      expect((await s.resolve(ref))?.id).toBe(img.id);
    }
    expect(await s.resolve('busybox:other')).toBeUndefined();
    expect(await s.resolve('')).toBeUndefined();
  });

  it('measures the bytes and inodes of the image dir', async () => {
    const s = new FsImageStore(join(dir, 'images'), silentLogger);
    await s.records.put(img);
    const fs = await s.fsInfo();
    expect(fs.mountpoint).toBe(join(dir, 'images'));
    expect(fs.inodesUsed).toBe(3); // images, records, the record
    expect(fs.usedBytes).toBeGreaterThan(0);
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
