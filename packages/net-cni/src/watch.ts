/**
 * Watching the conf dir: fs.watch on the dir while it exists, polling when it is missing or the
 * watch cannot be set up (and to notice when the dir appears or is replaced).
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Logger } from '@criod/core';

export class DirWatcher {
  private watcher: FSWatcher | undefined;
  private watchedIno: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly dir: string,
    /** Called on every possible change; callers coalesce. */
    private readonly onChange: () => void,
    private readonly pollMs: number,
    private readonly logger: Logger,
  ) {}

  get mode(): 'watch' | 'poll' | 'closed' {
    if (this.closed) return 'closed';
    return this.watcher ? 'watch' : 'poll';
  }

  async start(): Promise<void> {
    if (!(await this.tryWatch())) this.startPolling();
  }

  close(): void {
    this.closed = true;
    this.stopWatching();
    this.stopPolling();
  }

  private async tryWatch(): Promise<boolean> {
    let ino: number;
    try {
      const st = await stat(this.dir);
      if (!st.isDirectory()) return false;
      ino = st.ino;
    } catch {
      return false;
    }
    if (this.closed) return false;
    if (this.watcher) return true;
    try {
      const w = watch(this.dir, { persistent: false }, () => this.onEvent());
      w.on('error', (err) => {
        this.logger.debug({ dir: this.dir, err: err.message }, 'CNI conf dir watch failed; polling');
        this.stopWatching();
        this.startPolling();
        this.onChange();
      });
      this.watcher = w;
      this.watchedIno = ino;
      this.stopPolling();
      return true;
    } catch (err) {
      this.logger.debug({ dir: this.dir, err: (err as Error).message }, 'cannot watch CNI conf dir; polling');
      return false;
    }
  }

  private onEvent(): void {
    this.onChange();
    // The dir itself may have been removed or replaced: the watch is then dead.
    void stat(this.dir).then(
      (st) => {
        if (st.ino !== this.watchedIno) this.rewatch();
      },
      () => this.rewatch(),
    );
  }

  private rewatch(): void {
    if (this.closed) return;
    this.stopWatching();
    void this.tryWatch().then((ok) => {
      if (!ok) this.startPolling();
      this.onChange();
    });
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.watchedIno = undefined;
  }

  private startPolling(): void {
    if (this.closed || this.timer) return;
    this.timer = setInterval(() => {
      void this.tryWatch().then(() => this.onChange());
    }, this.pollMs);
    this.timer.unref();
  }

  private stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
