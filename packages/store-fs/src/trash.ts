/**
 * Dirs deleted out of sight: one rename moves a dir into the image store's tmp/, which every
 * start empties, so it is gone from its place at once and a crash before its files are deleted
 * leaves nothing behind. Deleting the files can then wait for a quiet moment (as containerd
 * removes snapshots in its garbage collector, after the call that released them).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isNotFound, type Logger } from '@criod/core';

export class Trash {
  private readonly deleting = new Set<Promise<void>>();

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
    const deletion = rm(moved, { recursive: true, force: true, maxRetries: 3 })
      .catch((err: unknown) => this.logger.warn({ err, path: moved }, 'deleting a trashed dir failed; the next start deletes it'))
      .finally(() => this.deleting.delete(deletion));
    this.deleting.add(deletion);
  }

  /** Resolves once every background deletion started so far has finished. */
  async settled(): Promise<void> {
    await Promise.all([...this.deleting]);
  }
}
