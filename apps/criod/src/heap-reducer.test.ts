import { afterEach, describe, expect, it, vi } from 'vitest';
import { collectGarbage, startHeapReducer } from './heap-reducer.js';

afterEach(() => {
  vi.useRealTimers();
});

const logger = () => ({ warn: vi.fn(), debug: vi.fn() }) as unknown as Parameters<typeof startHeapReducer>[0]['logger'] & { warn: ReturnType<typeof vi.fn> };

describe('heap reducer', () => {
  it('collects when idle and the heap grew by the threshold since the last collection', async () => {
    vi.useFakeTimers();
    let heap = 10;
    let busy = 0.5;
    const collect = vi.fn(async () => {
      heap = Math.min(heap, 12);
    });
    const reducer = startHeapReducer({
      intervalMs: 1000,
      growthBytes: 4,
      idleBelow: 0.1,
      logger: logger(),
      collect,
      committedBytes: () => heap,
      busySinceLast: () => busy,
    });
    await vi.advanceTimersByTimeAsync(3000);
    expect(collect).not.toHaveBeenCalled(); // busy: startup's garbage waits

    busy = 0.01;
    await vi.advanceTimersByTimeAsync(1000);
    expect(collect).toHaveBeenCalledTimes(1);

    heap = 13; // grew by 3 since the collection left 10
    await vi.advanceTimersByTimeAsync(1000);
    expect(collect).toHaveBeenCalledTimes(1);

    heap = 14; // grew by 4: collect, which leaves 12
    await vi.advanceTimersByTimeAsync(1000);
    expect(collect).toHaveBeenCalledTimes(2);

    heap = 15; // 3 above what the last collection left
    await vi.advanceTimersByTimeAsync(5000);
    expect(collect).toHaveBeenCalledTimes(2);

    reducer.stop();
    heap = 100;
    await vi.advanceTimersByTimeAsync(5000);
    expect(collect).toHaveBeenCalledTimes(2);
  });

  it('stops, with a warning, when it cannot collect', async () => {
    vi.useFakeTimers();
    const log = logger();
    const collect = vi.fn(() => Promise.reject(new Error('inspector not available')));
    startHeapReducer({ intervalMs: 1000, growthBytes: 4, idleBelow: 0.1, logger: log, collect, committedBytes: () => 100, busySinceLast: () => 0 });
    await vi.advanceTimersByTimeAsync(5000);
    expect(collect).toHaveBeenCalledTimes(1);
    expect(log.warn).toHaveBeenCalledTimes(1);
  });

  it('frees what nothing references and gives the heap back', async () => {
    let garbage: unknown[] | undefined = Array.from({ length: 200_000 }, (_, i) => ({ i, s: `x${i}` }));
    const ref = new WeakRef(garbage);
    const grown = process.memoryUsage().heapTotal;
    garbage = undefined;
    // A WeakRef target lives until the current job ends.
    await new Promise((r) => setImmediate(r));
    await collectGarbage();
    expect(ref.deref()).toBeUndefined();
    expect(process.memoryUsage().heapTotal).toBeLessThan(grown);
  });
});
