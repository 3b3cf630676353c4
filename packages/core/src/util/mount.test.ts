import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMountPoint, mountTmpfs, unmountIfMounted, unmountMountPoint } from './mount.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'criod-mount-'));
});

afterEach(async () => {
  while (await isMountPoint(join(dir, 'shm'))) await unmountIfMounted(join(dir, 'shm'));
  await rm(dir, { recursive: true, force: true });
});

describe('unmountMountPoint', () => {
  it('unmounts a mount point and says so, and answers false for a plain dir or a missing path', async () => {
    const target = join(dir, 'shm');
    await mkdir(target);
    await mountTmpfs(target, 65536);
    expect(await unmountMountPoint(target)).toBe(true);
    expect(await isMountPoint(target)).toBe(false);
    expect(await unmountMountPoint(target)).toBe(false);
    expect(await unmountMountPoint(join(dir, 'absent'), { lazy: true })).toBe(false);
  });

  it('unmounts lazily too, and unmountIfMounted is quiet about a plain dir', async () => {
    const target = join(dir, 'shm');
    await mkdir(target);
    await mountTmpfs(target, 65536);
    expect(await unmountMountPoint(target, { lazy: true })).toBe(true);
    expect(await isMountPoint(target)).toBe(false);
    await unmountIfMounted(target);
  });
});
