import { mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@criod/core';
import { removeTree, Trash } from './trash.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'criod-trash-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A dir with files and a subdir without permissions, as overlay leaves work/work. */
async function makeTree(path: string): Promise<void> {
  await mkdir(join(path, 'upper', 'etc'), { recursive: true });
  await writeFile(join(path, 'upper', 'etc', 'hosts'), '127.0.0.1 localhost\n');
  await mkdir(join(path, 'work', 'work'), { recursive: true, mode: 0o000 });
}

describe('Trash', () => {
  it('takes a dir away at once and deletes its files in the background', async () => {
    const trash = new Trash(join(dir, 'tmp'), silentLogger);
    const victim = join(dir, 'containers', 'c1');
    await makeTree(victim);
    await trash.discard(victim, 'rootfs');
    await expect(stat(victim)).rejects.toMatchObject({ code: 'ENOENT' });
    await trash.settled();
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
  });

  it('discards a dir that does not exist without error, and twice the same path', async () => {
    const trash = new Trash(join(dir, 'tmp'), silentLogger);
    await trash.discard(join(dir, 'nothing'), 'rootfs');
    const victim = join(dir, 'c2');
    await makeTree(victim);
    await Promise.all([trash.discard(victim, 'rootfs'), trash.discard(victim, 'rootfs')]);
    await trash.settled();
    await expect(stat(victim)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
  });

  it('moves a dir under a unique name, leaving its deletion to the caller', async () => {
    const trash = new Trash(join(dir, 'tmp'), silentLogger);
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    await makeTree(a);
    await makeTree(b);
    const [movedA, movedB] = await Promise.all([trash.move(a, 'layer'), trash.move(b, 'layer')]);
    expect(movedA).toMatch(new RegExp(`^${join(dir, 'tmp')}/layer-[0-9a-f]{12}$`));
    expect(movedB).not.toBe(movedA);
    expect((await readdir(join(dir, 'tmp'))).sort()).toEqual([movedA, movedB].map((p) => p!.slice(join(dir, 'tmp').length + 1)).sort());
    expect(await trash.move(a, 'layer')).toBeUndefined();
  });
});

describe('removeTree', () => {
  it('deletes a tree with files, symlinks (not followed), empty and permissionless dirs, or a lone file', async () => {
    const outside = join(dir, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'keep'), 'kept');
    const tree = join(dir, 'tree');
    await makeTree(tree);
    await mkdir(join(tree, 'empty'));
    await symlink(outside, join(tree, 'upper', 'link'));
    await removeTree(tree);
    await expect(stat(tree)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(outside)).toEqual(['keep']);
    await removeTree(join(outside, 'keep'));
    expect(await readdir(outside)).toEqual([]);
    await removeTree(join(dir, 'absent'));
  });
});
