import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RECORD_SCHEMA_VERSION, podRecordSchema, silentLogger, type PluginContext, type PluginInstances, type PodRecord } from '@criod/core';
import { testPodRecord } from '@criod/core/testing';
import { configSchema, DirRecordStore, images, records } from './index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'criod-store-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const pod = (id: string, overrides: Partial<PodRecord> = {}) => testPodRecord({ id, ...overrides });

function podStore(root = dir) {
  return new DirRecordStore(join(root, 'pods'), silentLogger, { schema: podRecordSchema, quarantineDir: join(root, 'quarantine', 'pods') });
}

describe('DirRecordStore', () => {
  it('round-trips a record with bigint nanosecond timestamps exactly, and $bigint-shaped user maps as they are', async () => {
    const s = podStore();
    const rec = pod('abc', { createdAt: 1_764_000_000_123_456_789n });
    rec.config.labels = { $bigint: 'x' };
    rec.config.annotations = { $bigint: '{"$bigint":"1"}' };
    await s.put(rec);
    expect(await s.get('abc')).toEqual(rec);
    expect(await s.list()).toEqual([rec]);
    expect(JSON.parse(readFileSync(join(dir, 'pods', 'abc.json'), 'utf8'))).toMatchObject({
      schemaVersion: RECORD_SCHEMA_VERSION,
      createdAt: '1764000000123456789',
    });
  });

  it('reads a record the previous criod wrote (no version, {"$bigint"} timestamps)', async () => {
    const s = podStore();
    const rec = pod('old');
    mkdirSync(join(dir, 'pods'));
    writeFileSync(
      join(dir, 'pods', 'old.json'),
      JSON.stringify(rec, (_k, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v)),
    );
    expect(await s.list()).toEqual([rec]);
  });

  it('answers undefined for a missing record and deletes idempotently', async () => {
    const s = podStore();
    expect(await s.get('nope')).toBeUndefined();
    await s.delete('nope');
    await s.put(pod('x'));
    await s.delete('x');
    await s.delete('x');
    expect(await s.list()).toEqual([]);
  });

  it('leaves no temp files behind and replaces records atomically', async () => {
    const s = podStore();
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.put(pod('same', { createdAt: BigInt(i) }))));
    expect(readdirSync(join(dir, 'pods'))).toEqual(['same.json']);
  });

  it('refuses ids that would escape the directory', async () => {
    const s = podStore();
    await expect(s.put(pod('../evil'))).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(s.get('a/b')).rejects.toMatchObject({ code: 'InvalidArgument' });
  });

  it('quarantines unreadable and wrongly shaped records, lists the others, and keeps reporting them', async () => {
    const s = podStore();
    await s.put(pod('good'));
    writeFileSync(join(dir, 'pods', 'torn.json'), '{truncated');
    writeFileSync(join(dir, 'pods', 'shape.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'pods', 'good.json'), 'utf8')), ips: 7 }));
    expect((await s.list()).map((r) => r.id)).toEqual(['good']);
    expect(readdirSync(join(dir, 'pods'))).toEqual(['good.json']);
    const expected = [
      { id: 'shape', path: join(dir, 'quarantine', 'pods', 'shape.json'), error: expect.stringContaining('ips') },
      { id: 'torn', path: join(dir, 'quarantine', 'pods', 'torn.json'), error: expect.stringContaining('JSON') },
    ];
    expect(await s.quarantined()).toEqual(expected);
    // A later start still knows them, though the records dir no longer holds them.
    const later = podStore();
    expect((await later.list()).map((r) => r.id)).toEqual(['good']);
    expect(await later.quarantined()).toEqual(expected);
  });

  it('refuses a record of a newer schema version, naming it, and moves nothing', async () => {
    const s = podStore();
    await s.put(pod('good'));
    writeFileSync(join(dir, 'pods', 'torn.json'), '{truncated');
    const newer = join(dir, 'pods', 'newer.json');
    writeFileSync(newer, JSON.stringify({ schemaVersion: RECORD_SCHEMA_VERSION + 1, id: 'newer' }));
    await expect(s.list()).rejects.toThrow(`${newer} has schema version ${RECORD_SCHEMA_VERSION + 1}`);
    expect(readdirSync(join(dir, 'pods')).sort()).toEqual(['good.json', 'newer.json', 'torn.json']);
    expect(await s.quarantined()).toEqual([]);
  });
});

describe('plugins', () => {
  const context = <C>(config: C): PluginContext<C> => ({
    config,
    root: dir,
    runroot: dir,
    logger: silentLogger,
    get: <K extends keyof PluginInstances>(): PluginInstances[K] => {
      throw new Error('no deps');
    },
  });

  it('keeps the records under the daemon root by default', async () => {
    const store = await records.create(context(configSchema.parse({})));
    await store.pods.put(pod('p1'));
    expect(readdirSync(join(dir, 'pods'))).toEqual(['p1.json']);
    mkdirSync(join(dir, 'containers'));
    writeFileSync(join(dir, 'containers', 'c1.json'), '{');
    expect(await store.containers.list()).toEqual([]);
    expect((await store.containers.quarantined()).map((q) => q.path)).toEqual([join(dir, 'quarantine', 'containers', 'c1.json')]);
  });

  it('shares the [store] section: both keep to its dir, images under <dir>/images', async () => {
    const config = configSchema.parse({ dir: join(dir, 'shared'), rootfs_mode: 'copy' });
    expect(records.configSection).toBe(images.configSection);
    const recordStore = await records.create(context(config));
    const imageStore = await images.create(context(config));
    try {
      expect(await recordStore.info?.()).toEqual({ dir: join(dir, 'shared') });
      expect(await imageStore.info?.()).toEqual({ dir: join(dir, 'shared', 'images'), rootfsMode: 'copy' });
      expect(await imageStore.list()).toEqual([]);
      expect(readdirSync(join(dir, 'shared'))).toEqual(['images']);
    } finally {
      await imageStore.close?.();
    }
  });
});
