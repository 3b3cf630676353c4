/**
 * Serialises work per key (a pod or container id) while different keys run concurrently:
 * criod never takes a global lock on a request path.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(fn, fn);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      // Drop the entry once nothing queued after us, so the map does not grow with every id.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
