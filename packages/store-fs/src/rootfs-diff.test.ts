import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMountinfo, silentLogger, type PullOptions } from '@criod/core';
import { tarArchive } from '@criod/image-registry';
import { buildImage, buildLayer, push, startRegistry, type BuiltImage, type TestRegistry } from '@criod/image-registry/testing';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FsImageStore } from './images.js';

let registry: TestRegistry;
let image: BuiltImage;
let dir: string;
let store: FsImageStore;
let imageId: string;
const pull: PullOptions = { registries: {} };

beforeAll(async () => {
  registry = await startRegistry();
  const base = await buildLayer([
    { path: 'etc', type: 'dir' },
    { path: 'etc/motd', type: 'file', content: Buffer.from('welcome\n') },
    { path: 'etc/keep', type: 'file', content: Buffer.from('keep\n') },
    { path: 'cache', type: 'dir' },
    { path: 'cache/a', type: 'file', content: Buffer.from('a\n') },
    { path: 'cache/b', type: 'file', content: Buffer.from('b\n') },
    { path: 'tmp', type: 'dir', mode: 0o1777 },
    { path: 'host', type: 'symlink', linkTarget: '/' },
  ]);
  image = buildImage({ layers: [base], config: { Cmd: ['sh'] } });
  await push({ host: registry.host, repository: 'test/diff', tag: 'v1' }, image);
}, 60_000);

afterAll(async () => {
  await registry?.stop();
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'criod-rootfs-diff-'));
  store = new FsImageStore(join(dir, 'images'), silentLogger, { http: { retries: 0 }, rootfsMode: 'overlay' });
  imageId = (await store.pull(`${registry.host}/test/diff:v1`, pull)).id;
});

afterEach(async () => {
  try {
    for (const id of await store.listRootfs()) await store.removeRootfs(id).catch(() => {});
    await store.close();
  } finally {
    const mounts = (await readMountinfo()).map((m) => m.mountPoint).filter((m) => m.startsWith(dir));
    for (const m of mounts) await execa('umount', ['-l', m], { reject: false });
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  }
});

describe('rootfs diff export and apply', () => {
  it('carries added, modified and deleted files of one container to a fresh one', async () => {
    const root = await store.createRootfs('src', imageId);
    await writeFile(join(root, 'etc/motd'), 'changed\n');
    await unlink(join(root, 'etc/keep'));
    await mkdir(join(root, 'data/deep'), { recursive: true });
    await writeFile(join(root, 'data/deep/state'), 'counted to 7\n');
    await chmod(join(root, 'data/deep/state'), 0o640);
    await symlink('deep/state', join(root, 'data/link'));
    // An emptied and refilled dir: overlay makes it opaque.
    await rm(join(root, 'cache'), { recursive: true });
    await mkdir(join(root, 'cache'));
    await writeFile(join(root, 'cache/c'), 'c\n');

    const tarPath = join(dir, 'rootfs-diff.tar');
    const { written, deleted } = await store.exportRootfsDiff('src', tarPath);
    expect(written).toBe(true);
    expect(deleted.sort()).toEqual(['cache/a', 'cache/b', 'etc/keep']);
    const members = (await execa('tar', ['-tf', tarPath])).stdout.split('\n').sort();
    expect(members).toEqual(['cache/', 'cache/c', 'data/', 'data/deep/', 'data/deep/state', 'data/link', 'etc/', 'etc/motd']);

    const dest = await store.createRootfs('dst', imageId);
    await store.applyRootfsDiff('dst', { tarPath, deleted });
    expect(await readFile(join(dest, 'etc/motd'), 'utf8')).toBe('changed\n');
    expect(await readdir(join(dest, 'etc'))).toEqual(['motd']);
    expect(await readFile(join(dest, 'data/deep/state'), 'utf8')).toBe('counted to 7\n');
    expect((await lstat(join(dest, 'data/deep/state'))).mode & 0o777).toBe(0o640);
    expect(await readlink(join(dest, 'data/link'))).toBe('deep/state');
    expect((await readdir(join(dest, 'cache'))).sort()).toEqual(['c']);
    expect((await lstat(join(dest, 'tmp'))).mode & 0o7777).toBe(0o1777);
  });

  it('writes no tar for a container that changed nothing', async () => {
    await store.createRootfs('idle', imageId);
    expect(await store.exportRootfsDiff('idle', join(dir, 'none.tar'))).toEqual({ written: false, deleted: [] });
    await expect(lstat(join(dir, 'none.tar'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('never writes or deletes through a symlink of the rootfs', async () => {
    const dest = await store.createRootfs('dst', imageId);
    const outside = join(dir, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'victim'), 'intact\n');
    // The image's "host" links to /: a diff must not reach through it.
    const evilTar = join(dir, 'evil.tar');
    await writeFile(evilTar, tarArchive([{ path: `host${outside}/planted`, type: 'file', content: Buffer.from('x') }]));
    await expect(store.applyRootfsDiff('dst', { tarPath: evilTar, deleted: [] })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(store.applyRootfsDiff('dst', { deleted: [`host${outside}/victim`] })).rejects.toMatchObject({ code: 'InvalidArgument' });
    // A symlink the archive brings and a file below it.
    const chained = join(dir, 'chained.tar');
    await writeFile(
      chained,
      tarArchive([
        { path: 'via', type: 'symlink', linkTarget: 'host' },
        { path: `via${outside}/planted`, type: 'file', content: Buffer.from('x') },
      ]),
    );
    await expect(store.applyRootfsDiff('dst', { tarPath: chained, deleted: [] })).rejects.toMatchObject({ code: 'InvalidArgument' });
    expect(await readdir(outside)).toEqual(['victim']);
    expect(await readFile(join(outside, 'victim'), 'utf8')).toBe('intact\n');
    expect((await lstat(join(dest, 'host'))).isSymbolicLink()).toBe(true);
  });

  it('refuses a rootfs-diff.tar that is not a tar', async () => {
    await store.createRootfs('dst', imageId);
    const junk = join(dir, 'junk.tar');
    await writeFile(junk, 'no tar here '.repeat(100));
    await expect(store.applyRootfsDiff('dst', { tarPath: junk, deleted: [] })).rejects.toMatchObject({ code: 'InvalidArgument' });
  });
});
