import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sha256Digest, tarArchive } from '@criod/image-registry';
import { buildLayer, type LayerCompression, type LayerEntry } from '@criod/image-registry/testing';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unpackLayer } from './layer-unpack.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'criod-unpack-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** An xattr of a file; Node has no xattr API, python3 does. */
async function xattr(path: string, name: string): Promise<string | undefined> {
  const r = await execa('python3', [
    '-c',
    'import os,sys\ntry: print(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).decode())\nexcept OSError: print("<none>")',
    path,
    name,
  ]);
  return r.stdout === '<none>' ? undefined : r.stdout;
}

async function unpack(entries: LayerEntry[], compression: LayerCompression = 'gzip') {
  const layer = await buildLayer(entries, compression);
  const blob = join(dir, 'blob');
  await writeFile(blob, layer.data);
  const target = join(dir, 'layer');
  await mkdir(target);
  const result = await unpackLayer(blob, target, layer.diffId, 'test layer');
  return { target, result, layer };
}

const mtimeNs = 1_700_000_000_123_456_789n;

describe('unpackLayer', () => {
  it.each(['gzip', 'zstd', 'none'] as const)('keeps owners, modes, times, xattrs, hardlinks, symlinks and devices (%s)', async (compression) => {
    const { target, result, layer } = await unpack(
      [
        { path: 'etc', type: 'dir', mode: 0o750, uid: 1000, gid: 1001, mtimeNs },
        { path: 'etc/secret', type: 'file', mode: 0o4711, uid: 1234, gid: 5678, mtimeNs, content: Buffer.from('s'), xattrs: { 'user.origin': 'criod-test' } },
        { path: 'etc/link', type: 'symlink', linkTarget: 'secret' },
        { path: 'etc/hard', type: 'hardlink', linkTarget: 'etc/secret' },
        { path: 'dev', type: 'dir' },
        { path: 'dev/null', type: 'chardev', devMajor: 1, devMinor: 3, mode: 0o666 },
        { path: 'dev/fifo', type: 'fifo', mode: 0o600 },
        { path: `deep/${'d'.repeat(120)}/file`, type: 'file', content: Buffer.from('long name') },
        { path: 'evil', type: 'file', content: Buffer.from('x'), xattrs: { 'trusted.overlay.opaque': 'y' } },
      ],
      compression,
    );
    expect(result).toEqual({ diffId: layer.diffId, whiteouts: [], opaqueDirs: [] });
    const etc = await lstat(join(target, 'etc'), { bigint: true });
    expect([etc.mode & 0o7777n, etc.uid, etc.gid, etc.mtimeNs]).toEqual([0o750n, 1000n, 1001n, 1_700_000_000_123_456_789n]);
    const secret = await lstat(join(target, 'etc/secret'));
    expect([secret.mode & 0o7777, secret.uid, secret.gid]).toEqual([0o4711, 1234, 5678]);
    expect(await xattr(join(target, 'etc/secret'), 'user.origin')).toBe('criod-test');
    expect(await readlink(join(target, 'etc/link'))).toBe('secret');
    expect((await lstat(join(target, 'etc/hard'))).ino).toBe(secret.ino);
    const dev = await lstat(join(target, 'dev/null'));
    expect(dev.isCharacterDevice()).toBe(true);
    expect(dev.rdev).toBe((1 << 8) | 3);
    expect((await lstat(join(target, 'dev/fifo'))).isFIFO()).toBe(true);
    expect(await readFile(join(target, `deep/${'d'.repeat(120)}/file`), 'utf8')).toBe('long name');
    // overlay's own xattrs are never taken from a layer
    expect(await xattr(join(target, 'evil'), 'trusted.overlay.opaque')).toBeUndefined();
  });

  it('turns OCI whiteouts into overlay whiteouts and opaque markers into the opaque xattr', async () => {
    const { target, result } = await unpack([
      { path: 'a', type: 'dir', mode: 0o711, mtimeNs },
      { type: 'whiteout', path: 'a/gone' },
      { type: 'whiteout', path: 'top-gone' },
      { type: 'whiteout', path: 'nested/dir/gone' },
      { path: 'op', type: 'dir', mode: 0o700, uid: 7, mtimeNs },
      { type: 'opaque', path: 'op' },
      { path: 'op/new', type: 'file', content: Buffer.from('new') },
      { path: 'both', type: 'file', content: Buffer.from('kept') },
      { type: 'whiteout', path: 'both' },
    ]);
    expect(result.whiteouts.sort()).toEqual(['a/gone', 'nested/dir/gone', 'top-gone']);
    expect(result.opaqueDirs).toEqual(['op']);
    for (const w of result.whiteouts) {
      const st = await lstat(join(target, w));
      expect(st.isCharacterDevice() && st.rdev === 0).toBe(true);
    }
    expect(await xattr(join(target, 'op'), 'trusted.overlay.opaque')).toBe('y');
    expect(await xattr(join(target, 'a'), 'trusted.overlay.opaque')).toBeUndefined();
    // The dirs touched keep the metadata the layer gave them.
    const a = await lstat(join(target, 'a'), { bigint: true });
    expect([a.mode & 0o7777n, a.mtimeNs]).toEqual([0o711n, 1_700_000_000_123_456_789n]);
    const op = await lstat(join(target, 'op'), { bigint: true });
    expect([op.mode & 0o7777n, op.uid, op.mtimeNs]).toEqual([0o700n, 7n, 1_700_000_000_123_456_789n]);
    // No .wh. file is left, and a whiteout of a path the layer has leaves that path alone.
    expect(await readFile(join(target, 'both'), 'utf8')).toBe('kept');
    expect((await readdir(target)).filter((n) => n.startsWith('.wh.'))).toEqual([]);
    expect(await readdir(join(target, 'op'))).toEqual(['new']);
  });

  it('never follows a symlink of the layer out of it when applying whiteouts', async () => {
    const outside = join(dir, 'outside');
    await mkdir(outside);
    const { target, result } = await unpack([
      { path: 'escape', type: 'symlink', linkTarget: outside },
      { type: 'whiteout', path: 'escape/victim' },
      { type: 'opaque', path: 'escape' },
    ]);
    expect(result).toMatchObject({ whiteouts: [], opaqueDirs: [] });
    expect(await readdir(outside)).toEqual([]);
    expect(await xattr(outside, 'trusted.overlay.opaque')).toBeUndefined();
    expect((await lstat(join(target, 'escape'))).isSymbolicLink()).toBe(true);
  });

  it('hashes bytes after the end of the archive into the diff id', async () => {
    const tar = Buffer.concat([tarArchive([{ path: 'f', type: 'file', content: Buffer.from('x') }]), Buffer.alloc(8192)]);
    await writeFile(join(dir, 'blob'), gzipSync(tar));
    await mkdir(join(dir, 'layer'));
    expect((await unpackLayer(join(dir, 'blob'), join(dir, 'layer'), sha256Digest(tar), 'padded')).diffId).toBe(sha256Digest(tar));
  });

  it('rejects a layer whose content does not match its diff id', async () => {
    const layer = await buildLayer([{ path: 'f', type: 'file', content: Buffer.from('x') }]);
    await writeFile(join(dir, 'blob'), layer.data);
    await mkdir(join(dir, 'layer'));
    await expect(unpackLayer(join(dir, 'blob'), join(dir, 'layer'), sha256Digest('other'), 'mismatched')).rejects.toMatchObject({
      code: 'Internal',
      message: expect.stringContaining(`uncompressed content has digest ${layer.diffId}`),
    });
  });

  it('rejects a blob that is not a tar archive', async () => {
    await writeFile(join(dir, 'blob'), gzipSync(Buffer.alloc(2048, 7)));
    await mkdir(join(dir, 'layer'));
    await expect(unpackLayer(join(dir, 'blob'), join(dir, 'layer'), sha256Digest('x'), 'junk')).rejects.toMatchObject({
      code: 'Internal',
      message: expect.stringContaining('not a valid tar archive'),
    });
  });

  it('rejects a truncated gzip stream', async () => {
    const layer = await buildLayer([{ path: 'f', type: 'file', content: Buffer.alloc(100_000, 1) }]);
    await writeFile(join(dir, 'blob'), layer.data.subarray(0, layer.data.length - 20));
    await mkdir(join(dir, 'layer'));
    await expect(unpackLayer(join(dir, 'blob'), join(dir, 'layer'), layer.diffId, 'truncated')).rejects.toMatchObject({ code: 'Internal' });
  });
});
