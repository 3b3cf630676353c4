import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'criod-atomic-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('replaces a file whole, leaving no temp file, durable or not', async () => {
    const path = join(dir, 'record.json');
    await writeFile(path, 'old');
    await writeFileAtomic(path, 'new');
    expect(await readFile(path, 'utf8')).toBe('new');
    await writeFileAtomic(path, 'newer', { durable: false, mode: 0o640 });
    expect(await readFile(path, 'utf8')).toBe('newer');
    expect((await stat(path)).mode & 0o777).toBe(0o640);
    expect(await readdir(dir)).toEqual(['record.json']);
  });

  it('makes the missing dirs of a new file', async () => {
    const path = join(dir, 'a', 'b', 'record.json');
    await writeFileAtomic(path, 'made');
    expect(await readFile(path, 'utf8')).toBe('made');
  });

  it('fails with the error of a path that cannot be a dir, leaving nothing', async () => {
    await writeFile(join(dir, 'file'), 'x');
    await expect(writeFileAtomic(join(dir, 'file', 'record.json'), 'no')).rejects.toMatchObject({ code: 'ENOTDIR' });
    expect(await readdir(dir)).toEqual(['file']);
  });
});
