import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMountinfo, silentLogger, type Logger, type PullOptions } from '@criod/core';
import {
  buildImage,
  buildIndex,
  buildLayer,
  busyboxEntries,
  push,
  startCountingProxy,
  startRegistry,
  startStaticRegistry,
  type BuiltImage,
  type BuiltLayer,
  type TestRegistry,
} from '@criod/image-registry/testing';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FsImageStore, type RootfsMode } from './images.js';
import { isMountPoint } from './mounts.js';

let registry: TestRegistry;
let base: BuiltLayer;
let changes: BuiltLayer;
let app: BuiltImage;
let other: BuiltImage;
let dir: string;
const stores: FsImageStore[] = [];
const pull: PullOptions = { registries: {} };

beforeAll(async () => {
  registry = await startRegistry();
  base = await buildLayer([
    ...(await busyboxEntries()),
    { path: 'etc/config', type: 'file', content: Buffer.from('old\n') },
    { path: 'data', type: 'dir' },
    { path: 'data/keep', type: 'file', content: Buffer.from('keep\n') },
    { path: 'gone', type: 'file', content: Buffer.from('deleted later\n') },
    { path: 'gone-dir', type: 'dir' },
    { path: 'gone-dir/x', type: 'file', content: Buffer.from('x\n') },
    { path: 'opaque', type: 'dir' },
    { path: 'opaque/a', type: 'file', content: Buffer.from('a\n') },
    { path: 'opaque/b', type: 'file', content: Buffer.from('b\n') },
  ]);
  changes = await buildLayer(
    [
      { type: 'whiteout', path: 'gone' },
      { type: 'whiteout', path: 'gone-dir' },
      { path: 'etc', type: 'dir' },
      { path: 'etc/config', type: 'file', content: Buffer.from('new\n') },
      { path: 'opaque', type: 'dir' },
      { type: 'opaque', path: 'opaque' },
      { path: 'opaque/c', type: 'file', content: Buffer.from('c\n') },
      { path: 'links', type: 'dir' },
      { path: 'links/one', type: 'file', content: Buffer.from('shared inode\n') },
      { path: 'links/two', type: 'hardlink', linkTarget: 'links/one' },
      { path: 'data', type: 'dir' },
      { path: 'data/new', type: 'file', content: Buffer.from('new\n') },
    ],
    'zstd',
  );
  app = buildImage({
    layers: [base, changes],
    config: { Cmd: ['sh'], Env: ['PATH=/bin'], User: '1000:1000', Labels: { app: 'yes' }, StopSignal: 'SIGQUIT', WorkingDir: '/data' },
  });
  other = buildImage({ layers: [base, await buildLayer([{ path: 'other', type: 'file', content: Buffer.from('other\n') }])], config: { User: 'nobody' } });
  await push({ host: registry.host, repository: 'test/app', tag: 'v1' }, app);
  await push({ host: registry.host, repository: 'test/app', tag: 'latest' }, app);
  await push({ host: registry.host, repository: 'test/other', tag: 'v1' }, other);
}, 60_000);

afterAll(async () => {
  await registry?.stop();
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'criod-images-'));
});

afterEach(async () => {
  try {
    for (const s of stores.splice(0)) {
      for (const id of await readdir(join(s.dir, 'containers')).catch(() => [] as string[])) await s.removeRootfs(id).catch(() => {});
      await s.close();
    }
  } finally {
    // A failed test may leave mounts: never remove a dir with a mount below it.
    const mounts = (await readMountinfo()).map((m) => m.mountPoint).filter((m) => m.startsWith(dir));
    for (const m of mounts) await execa('umount', ['-l', m], { reject: false });
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  }
});

function store(options: ConstructorParameters<typeof FsImageStore>[2] = {}): FsImageStore {
  const s = new FsImageStore(join(dir, 'images'), silentLogger, { http: { retries: 0 }, ...options });
  stores.push(s);
  return s;
}

const ref = (repo: string, tag = 'v1') => `${registry.host}/${repo}:${tag}`;
const hex = (digest: string) => digest.slice('sha256:'.length);

describe('FsImageStore.pull', () => {
  it('stores an image record with tags, digests, size, user and config', async () => {
    const img = await store().pull(ref('test/app'), pull);
    expect(img).toEqual({
      id: hex(app.config.digest),
      repoTags: [ref('test/app')],
      repoDigests: [`${registry.host}/test/app@${app.digest}`],
      size: app.config.size + base.size + changes.size,
      uid: 1000,
      username: '',
      pinned: false,
      config: {
        entrypoint: [],
        cmd: ['sh'],
        env: ['PATH=/bin'],
        workingDir: '/data',
        user: '1000:1000',
        stopSignal: 'SIGQUIT',
        volumes: [],
        labels: { app: 'yes' },
      },
    });
    const named = await store().pull(ref('test/other'), { ...pull, pinned: true });
    expect(named).toMatchObject({ username: 'nobody', pinned: true });
    expect(named.uid).toBeUndefined();
  });

  it('resolves by id, sha256 id, unique prefix, tag, digest and short reference', async () => {
    const s = store();
    await s.pull(ref('test/app'), pull);
    const img = await s.pull(`${registry.host}/test/app`, pull);
    expect(img.repoTags).toEqual([ref('test/app'), ref('test/app', 'latest')]);
    for (const r of [
      img.id,
      `sha256:${img.id}`,
      img.id.slice(0, 12),
      ref('test/app'),
      `${registry.host}/test/app@${app.digest}`,
      `${registry.host}/test/app`,
    ]) {
      expect((await s.resolve(r))?.id, r).toBe(img.id);
    }
    expect(await s.resolve(ref('test/app', 'v2'))).toBeUndefined();
    expect(await s.resolve('')).toBeUndefined();
    await expect(s.resolve('Not A Ref')).rejects.toMatchObject({ code: 'InvalidArgument' });
    expect(await s.list()).toEqual([img]);
  });

  it('pulls by digest without recording a tag, and adds the tag when pulled by tag', async () => {
    const s = store();
    const byDigest = await s.pull(`${registry.host}/test/app@${app.digest}`, pull);
    expect(byDigest.repoTags).toEqual([]);
    expect(byDigest.repoDigests).toEqual([`${registry.host}/test/app@${app.digest}`]);
    expect((await s.pull(ref('test/app'), pull)).repoTags).toEqual([ref('test/app')]);
  });

  it('picks linux/amd64 out of a multi-platform index', async () => {
    const arm = buildImage({
      layers: [await buildLayer([{ path: 'arm', type: 'file', content: Buffer.from('arm\n') }])],
      platform: { os: 'linux', architecture: 'arm64' },
    });
    const index = buildIndex([
      { image: arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { image: app, platform: { os: 'linux', architecture: 'amd64' } },
      { image: other, platform: { os: 'windows', architecture: 'amd64' } },
    ]);
    await push({ host: registry.host, repository: 'test/multi', tag: 'v1' }, index);
    const img = await store().pull(ref('test/multi'), pull);
    expect(img.id).toBe(hex(app.config.digest));
    expect(img.repoDigests).toEqual([`${registry.host}/test/multi@${index.digest}`]);
  });

  it('downloads each layer once when the same image is pulled concurrently', async () => {
    const proxy = await startCountingProxy(registry.host);
    try {
      const s = store();
      const at = (r: string) => `${proxy.host}/test/app${r}`;
      const images = await Promise.all([s.pull(at(':v1'), pull), s.pull(at(':v1'), pull), s.pull(at(`@${app.digest}`), pull)]);
      expect(new Set(images.map((i) => i.id))).toEqual(new Set([hex(app.config.digest)]));
      for (const layer of [base, changes]) {
        expect(proxy.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/blobs/${layer.digest}`)).length, layer.digest).toBe(1);
      }
      // A second pull of a stored image fetches no layer again.
      await s.pull(at(':v1'), pull);
      expect(proxy.requests.filter((r) => r.path.includes('/blobs/') && !r.path.endsWith(app.config.digest)).length).toBe(2);
    } finally {
      await proxy.stop();
    }
  });

  it('rejects a layer whose digest does not match and stores nothing', async () => {
    const layer = await buildLayer([{ path: 'tampered', type: 'file', content: Buffer.alloc(50_000, 3) }]);
    const img = buildImage({ layers: [base, layer] });
    await push({ host: registry.host, repository: 'test/tampered', tag: 'v1' }, img);
    const data = await readFile(registry.blobDataPath(layer.digest));
    data.writeUInt8(data.readUInt8(data.length - 30) ^ 0xff, data.length - 30);
    await writeFile(registry.blobDataPath(layer.digest), data);
    const s = store();
    await expect(s.pull(ref('test/tampered'), pull)).rejects.toMatchObject({ code: 'Internal', message: expect.stringContaining('rejected') });
    expect(await s.list()).toEqual([]);
    expect(await readdir(join(dir, 'images/tmp'))).toEqual([]);
    expect(await readdir(join(dir, 'images/records'))).toEqual([]);
    // The good base layer may have been unpacked, but a new store start collects what no image uses.
    await s.close();
    const restarted = store();
    expect(await restarted.list()).toEqual([]);
    expect((await readdir(join(dir, 'images/layers'))).length).toBe(0);
  });

  it('logs the progress of each layer, bytes of total', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger: Logger = {
      error: () => {},
      warn: () => {},
      debug: () => {},
      trace: () => {},
      info: (obj: object | string, msg?: string) => lines.push(typeof obj === 'string' ? { msg: obj } : { ...obj, msg }),
      child: (bindings) => ({
        ...logger,
        info: (obj: object | string, msg?: string) => lines.push(typeof obj === 'string' ? { ...bindings, msg: obj } : { ...bindings, ...obj, msg }),
      }),
    };
    const s = new FsImageStore(join(dir, 'images'), logger);
    stores.push(s);
    await s.pull(ref('test/app'), pull);
    for (const layer of [base, changes]) {
      expect(lines).toContainEqual(
        expect.objectContaining({ image: ref('test/app'), layer: layer.digest, bytes: layer.size, total: layer.size, msg: 'pulled' }),
      );
    }
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'image pulled', id: hex(app.config.digest) }));
  });

  it('answers NotFound with the registry message for an unknown tag', async () => {
    await expect(store().pull(ref('test/app', 'missing'), pull)).rejects.toMatchObject({
      code: 'NotFound',
      message: expect.stringContaining('MANIFEST_UNKNOWN'),
    });
  });

  it('refuses a malformed reference', async () => {
    await expect(store().pull('127.0.0.1:1/UPPER:v1', pull)).rejects.toMatchObject({ code: 'InvalidArgument' });
  });

  it('fails a pull from a stalling registry within the no-progress time, storing nothing', async () => {
    const server = await startStaticRegistry({
      repository: 'stall/app',
      tag: 'v1',
      image: app,
      hook: ({ kind, ref: r, data }, _req, res) => {
        if (kind !== 'blob' || r !== changes.digest || !data) return false;
        res.writeHead(200, { 'content-length': data.byteLength });
        res.write(data.subarray(0, 100));
        return true;
      },
    });
    try {
      const s = store({ http: { noProgressTimeoutMs: 500, retries: 0 } });
      const started = Date.now();
      await expect(s.pull(`${server.host}/stall/app:v1`, pull)).rejects.toMatchObject({ code: 'DeadlineExceeded' });
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(await s.list()).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});

describe('FsImageStore.remove', () => {
  it('deletes the layers and blobs only the removed image used', async () => {
    const s = store();
    const a = await s.pull(ref('test/app'), pull);
    const o = await s.pull(ref('test/other'), pull);
    const layers = () => readdir(join(dir, 'images/layers'));
    expect((await layers()).length).toBe(3); // base shared, two of their own
    await s.remove(a.id);
    expect(await s.resolve(a.id)).toBeUndefined();
    expect((await layers()).sort()).toEqual([hex(base.diffId), expect.any(String)].sort());
    expect(await readdir(join(dir, 'images/blobs/sha256'))).not.toContain(hex(app.digest));
    await s.remove(a.id); // absent is not an error
    await s.remove(`sha256:${o.id}`);
    expect(await layers()).toEqual([]);
    expect(await readdir(join(dir, 'images/blobs/sha256'))).toEqual([]);
    expect(await readdir(join(dir, 'images/l'))).toEqual([]);
  });

  it('keeps the layers a container rootfs still uses', async () => {
    const s = store();
    const a = await s.pull(ref('test/app'), pull);
    const root = await s.createRootfs('keeper', a.id);
    await s.remove(a.id);
    expect(await readFile(join(root, 'etc/config'), 'utf8')).toBe('new\n');
    await s.removeRootfs('keeper');
    // Collected at the next start.
    await s.close();
    await store().list();
    expect(await readdir(join(dir, 'images/layers'))).toEqual([]);
  });

  it('quarantines an unreadable image record and keeps every layer and blob while it lies there', async () => {
    const s = store();
    const a = await s.pull(ref('test/app'), pull);
    const o = await s.pull(ref('test/other'), pull);
    await s.close();
    await writeFile(join(dir, 'images/records', `${a.id}.json`), '{torn');
    const restarted = store();
    expect((await restarted.list()).map((i) => i.id)).toEqual([o.id]);
    expect(await readdir(join(dir, 'images/quarantine'))).toEqual([`${a.id}.json`]);
    await restarted.remove(o.id);
    expect((await readdir(join(dir, 'images/layers'))).length).toBe(3);
    expect(await readdir(join(dir, 'images/blobs/sha256'))).toContain(hex(app.digest));
  });

  it('moves a tag to the image it now names', async () => {
    const s = store();
    const first = await s.pull(ref('test/app'), pull);
    await push({ host: registry.host, repository: 'test/app', tag: 'moving' }, app);
    await s.pull(ref('test/app', 'moving'), pull);
    await push({ host: registry.host, repository: 'test/app', tag: 'moving' }, other);
    const second = await s.pull(ref('test/app', 'moving'), pull);
    expect((await s.resolve(first.id))?.repoTags).toEqual([ref('test/app')]);
    expect(second.repoTags).toEqual([ref('test/app', 'moving')]);
  });
});

describe('FsImageStore.fsInfo', () => {
  it('measures the bytes and inodes of the image store', async () => {
    const s = store();
    const empty = await s.fsInfo();
    expect(empty.mountpoint).toBe(join(dir, 'images'));
    const img = await s.pull(ref('test/app'), pull);
    const full = await s.fsInfo();
    expect(full.usedBytes - empty.usedBytes).toBeGreaterThan((await lstat('/bin/busybox')).size);
    expect(full.inodesUsed - empty.inodesUsed).toBeGreaterThan(20);
    expect(full.timestamp).toBeGreaterThan(empty.timestamp);
    await s.remove(img.id);
    expect((await s.fsInfo()).inodesUsed).toBe(empty.inodesUsed);
  });
});

describe.each(['overlay', 'copy'] as RootfsMode[])('FsImageStore rootfs (%s)', (rootfsMode) => {
  it('shows the image with whiteouts, opaque dirs and hardlinks applied', async () => {
    const s = store({ rootfsMode });
    const img = await s.pull(ref('test/app'), pull);
    const root = await s.createRootfs('c1', img.id);
    expect(root).toBe(join(dir, 'images/containers/c1/merged'));
    expect(await isMountPoint(root)).toBe(rootfsMode === 'overlay');
    const names = await readdir(root);
    expect(names).not.toContain('gone');
    expect(names).not.toContain('gone-dir');
    expect(await readFile(join(root, 'etc/config'), 'utf8')).toBe('new\n');
    expect((await readdir(join(root, 'opaque'))).sort()).toEqual(['c']);
    expect((await readdir(join(root, 'data'))).sort()).toEqual(['keep', 'new']);
    expect((await lstat(join(root, 'links/one'))).ino).toBe((await lstat(join(root, 'links/two'))).ino);
    expect((await lstat(join(root, 'bin/sh'))).isSymbolicLink()).toBe(true);
    expect((await lstat(join(root, 'tmp'))).mode & 0o7777).toBe(0o1777);

    const before = await s.rootfsUsage('c1');
    await writeFile(join(root, 'data/written'), Buffer.alloc(64 * 1024, 1));
    const after = await s.rootfsUsage('c1');
    expect(after.bytes - before.bytes).toBeGreaterThanOrEqual(64 * 1024);
    expect(after.inodes).toBeGreaterThan(before.inodes);
    // The image's layers are untouched.
    expect(await readdir(join(dir, 'images/layers', hex(base.diffId), 'diff/data'))).toEqual(['keep']);
    await expect(s.createRootfs('c1', img.id)).rejects.toMatchObject({ code: 'AlreadyExists' });

    await s.removeRootfs('c1');
    expect(await isMountPoint(root)).toBe(false);
    expect(await readdir(join(dir, 'images/containers'))).toEqual([]);
    await s.removeRootfs('c1');
  });
});

describe('FsImageStore rootfs lifecycle', () => {
  it('mounts a rootfs again after a restart, keeping what the container wrote', async () => {
    const s = store();
    const img = await s.pull(ref('test/app'), pull);
    const root = await s.createRootfs('c2', img.id);
    await writeFile(join(root, 'data/state'), 'persisted\n');
    await execa('umount', [root]); // as after a reboot
    await s.close();
    const restarted = store();
    expect(await restarted.mountRootfs('c2')).toBe(root);
    expect(await readFile(join(root, 'data/state'), 'utf8')).toBe('persisted\n');
    expect(await restarted.mountRootfs('c2')).toBe(root); // already mounted: nothing to do
    await expect(restarted.mountRootfs('nope')).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('removes a rootfs unmounted at its exit, and one mounted again after that, leaving no mount', async () => {
    const s = store({ rootfsMode: 'overlay' });
    const img = await s.pull(ref('test/app'), pull);
    const mountsInStore = async () => (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes(dir));
    for (const id of ['exited', 'remounted']) await s.createRootfs(id, img.id);
    for (const id of ['exited', 'remounted']) await s.unmountRootfs(id);
    expect(await mountsInStore()).toEqual([]);
    expect(await isMountPoint(await s.mountRootfs('remounted'))).toBe(true);
    for (const id of ['exited', 'remounted']) await s.removeRootfs(id);
    expect(await mountsInStore()).toEqual([]);
    expect(await readdir(join(dir, 'images/containers'))).toEqual([]);
  });

  it('mounts an image of many layers within the overlay option size limit', async () => {
    const many = [base];
    for (let i = 0; i < 90; i++) many.push(await buildLayer([{ path: `layer${i}`, type: 'file', content: Buffer.from(`${i}\n`) }]));
    await push({ host: registry.host, repository: 'test/many', tag: 'v1' }, buildImage({ layers: many }));
    const s = store({ rootfsMode: 'overlay' });
    const img = await s.pull(ref('test/many'), pull);
    const root = await s.createRootfs('many', img.id);
    expect(await readFile(join(root, 'layer89'), 'utf8')).toBe('89\n');
    expect((await readdir(root)).filter((n) => n.startsWith('layer')).length).toBe(90);
  }, 60_000);

  it('refuses unknown images and container ids that are not names', async () => {
    const s = store();
    await expect(s.createRootfs('c3', 'f'.repeat(64))).rejects.toMatchObject({ code: 'NotFound' });
    const img = await s.pull(ref('test/app'), pull);
    await expect(s.createRootfs('../escape', img.id)).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(s.rootfsUsage('c3')).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('cleans what a crash left half-made at the next start', async () => {
    const s = store();
    await s.pull(ref('test/app'), pull);
    await s.close();
    await mkdir(join(dir, 'images/tmp/layer-crashed/layer/diff'), { recursive: true });
    // A removed rootfs whose files were still being deleted: overlay's work/work has no permissions.
    await mkdir(join(dir, 'images/tmp/rootfs-crashed/upper/etc'), { recursive: true });
    await mkdir(join(dir, 'images/tmp/rootfs-crashed/work/work'), { recursive: true, mode: 0o000 });
    await mkdir(join(dir, 'images/layers', 'e'.repeat(64), 'diff'), { recursive: true });
    await writeFile(join(dir, 'images/blobs/sha256', 'd'.repeat(64)), 'orphan');
    const restarted = store();
    expect((await restarted.list()).length).toBe(1);
    expect(await readdir(join(dir, 'images/tmp'))).toEqual([]);
    expect(await readdir(join(dir, 'images/layers'))).not.toContain('e'.repeat(64));
    expect(await readdir(join(dir, 'images/blobs/sha256'))).not.toContain('d'.repeat(64));
  });
});
