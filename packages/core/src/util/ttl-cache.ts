/**
 * Values read at most once per `ttlMs` per key: callers within that time, and callers while a
 * read is under way, share one read. A failed read is not kept, so the next caller tries again.
 * Expired entries are dropped as the cache is used, so keys that stop being asked for (a removed
 * container) do not stay.
 */
export class TtlCache<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();
  private prunedAt: number;

  constructor(
    readonly ttlMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.prunedAt = now();
  }

  get(key: string, read: () => Promise<T>): Promise<T> {
    const now = this.now();
    this.prune(now);
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const entry = { at: now, value: read() };
    this.entries.set(key, entry);
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return entry.value;
  }

  get size(): number {
    return this.entries.size;
  }

  private prune(now: number): void {
    if (now - this.prunedAt < this.ttlMs) return;
    this.prunedAt = now;
    for (const [key, entry] of this.entries) if (now - entry.at >= this.ttlMs) this.entries.delete(key);
  }
}
