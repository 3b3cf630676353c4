/**
 * Dirs deleted out of sight: one rename moves a dir into the image store's tmp/, which every
 * start empties, so it is gone from its place at once and a crash before its files are deleted
 * leaves nothing behind. Deleting the files can then wait for a quiet moment (as containerd
 * removes snapshots in its garbage collector, after the call that released them).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoOf, isNotFound, type Logger } from '@criod/core';

/** `done`, where a path that is already gone counts as done. */
async function unlessGone(done: Promise<void>): Promise<void> {
  try {
    await done;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/**
 * Delete a tree one call at a time: a background deletion then holds at most one of libuv's four
 * threads, where fs.rm's recursion would take them all from the requests that follow.
 */
export async function removeTree(path: string): Promise<void> {
  let entries;
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (err) {
    if (isNotFound(err)) return;
    if (errnoOf(err) === 'ENOTDIR') return unlessGone(unlink(path));
    throw err;
  }
  for (const entry of entries) {
    const child = join(path, entry.name);
    await (entry.isDirectory() ? removeTree(child) : unlessGone(unlink(child)));
  }
  await unlessGone(rmdir(path));
}

export class Trash {
  /** The background deletions, one after another. */
  private deleting: Promise<void> = Promise.resolve();

  constructor(
    /** On the same filesystem as every dir it takes; emptied at start by its owner. */
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  /** Move `path` into the trash; undefined when there was nothing there. */
  async move(path: string, kind: string): Promise<string | undefined> {
    const target = join(this.dir, `${kind}-${randomBytes(6).toString('hex')}`);
    try {
      await rename(path, target);
      return target;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    // ENOENT names either side: make sure the trash exists, then only a missing `path` fails.
    await mkdir(this.dir, { recursive: true });
    try {
      await rename(path, target);
      return target;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Take `path` away now and delete its files in the background; settled() waits for them. */
  async discard(path: string, kind: string): Promise<void> {
    const moved = await this.move(path, kind);
    if (!moved) return;
    this.deleting = this.deleting.then(() =>
      removeTree(moved).catch((err: unknown) => this.logger.warn({ err, path: moved }, 'deleting a trashed dir failed; the next start deletes it')),
    );
  }

  /** Resolves once every background deletion started so far has finished. */
  async settled(): Promise<void> {
    await this.deleting;
  }
}
