import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isNotFound } from '@criod/core';

export interface ExitRecord {
  exitCode: number;
  /** Nanoseconds since the epoch: conmon writes the file when the container has ended. */
  finishedAt: bigint;
}

/** inotify covers the common case; this poll only rescues a missed event (or a watcher error). */
const fallbackPollMs = 500;

/**
 * Watches conmon's exit dir: one inotify watch for all containers while anyone waits, so waiting
 * for an exit costs no process spawns.
 */
export class ExitWatcher {
  private watcher: FSWatcher | undefined;
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly exitListeners = new Set<(id: string) => void>();

  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  /** The container's exit, or undefined while conmon has not written one. */
  async read(id: string): Promise<ExitRecord | undefined> {
    const path = join(this.dir, id);
    try {
      const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path, { bigint: true })]);
      const exitCode = Number.parseInt(text.trim(), 10);
      return { exitCode: Number.isNaN(exitCode) ? -1 : exitCode, finishedAt: info.mtimeNs };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Resolves with the exit as soon as conmon writes it, or undefined after timeoutMs. */
  async wait(id: string, timeoutMs: number): Promise<ExitRecord | undefined> {
    const deadline = Date.now() + timeoutMs;
    let wake: () => void = () => {};
    const notify = () => wake();
    this.subscribe(id, notify);
    try {
      for (;;) {
        // Subscribed before reading, so an exit written in between still wakes us.
        const exit = await this.read(id);
        if (exit) return exit;
        const left = deadline - Date.now();
        if (left <= 0) return undefined;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, fallbackPollMs));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      this.unsubscribe(id, notify);
    }
  }

  /** Call `listener` with the id of each exit file conmon writes, until the returned function is called. */
  onExit(listener: (id: string) => void): () => void {
    this.exitListeners.add(listener);
    this.ensureWatcher();
    return () => {
      this.exitListeners.delete(listener);
      this.closeWhenIdle();
    };
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private ensureWatcher(): void {
    if (this.watcher) return;
    try {
      this.watcher = watch(this.dir, { persistent: false }, (_event, name) => {
        if (!name) return;
        const id = name.toString();
        this.waiters.get(id)?.forEach((n) => n());
        this.exitListeners.forEach((l) => l(id));
      });
      this.watcher.on('error', () => this.rewatch());
    } catch {
      // No watcher (dir gone, inotify limits): waiters' poll still finds the exit.
      this.watcher = undefined;
    }
  }

  /**
   * A watch that failed is made again, and every exit file there is announced: one written while
   * no watch was up would otherwise go unnoticed by listeners that rely on the announcements.
   */
  private rewatch(): void {
    this.close();
    if (this.exitListeners.size === 0 && this.waiters.size === 0) return;
    this.ensureWatcher();
    readdir(this.dir).then(
      (names) => names.forEach((id) => this.exitListeners.forEach((l) => l(id))),
      () => undefined, // the dir is gone: there is nothing to announce
    );
  }

  private closeWhenIdle(): void {
    if (this.waiters.size === 0 && this.exitListeners.size === 0) this.close();
  }

  private subscribe(id: string, notify: () => void): void {
    let set = this.waiters.get(id);
    if (!set) this.waiters.set(id, (set = new Set()));
    set.add(notify);
    this.ensureWatcher();
  }

  private unsubscribe(id: string, notify: () => void): void {
    const set = this.waiters.get(id);
    set?.delete(notify);
    if (set?.size === 0) this.waiters.delete(id);
    this.closeWhenIdle();
  }
}
