/**
 * Gives back the heap V8 keeps after a burst of work. V8 shrinks its heap only when the embedder
 * reports idle time or low memory, and Node never does: a daemon that started 100 pods keeps the
 * heap those calls grew to (README: Memory). So criod runs a memory-reducing collection one interval
 * after it started serving (the garbage of loading its config and plugins), then again whenever the
 * committed heap has grown by `growthBytes` since the last one, looked at every `intervalMs`: at most
 * one collection per interval, whatever the load.
 */
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { Logger } from '@criod/core';

export interface HeapReducerOptions {
  intervalMs: number;
  growthBytes: number;
  /** The event loop counts as idle over an interval when busy less than this fraction of it. */
  idleBelow: number;
  logger: Logger;
  /** A full, memory-reducing garbage collection; `collectGarbage` by default. */
  collect?: () => Promise<void>;
  /** Bytes V8 holds for its heap now. */
  committedBytes?: () => number;
  /** The fraction of the time since the last call that the event loop was busy. */
  busySinceLast?: () => number;
}

function eventLoopBusy(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    return busy;
  };
}

/**
 * A burst's garbage goes within 2 s of its end; 2 MB is more than kubelet's polling allocates
 * between two of its calls, and 10% busy is far above what that polling costs.
 */
export const heapReducerDefaults = { intervalMs: 2000, growthBytes: 2 * 1024 * 1024, idleBelow: 0.1 } as const;

/**
 * A full collection that also returns V8's free pages to the system, as on a low-memory
 * notification: the inspector's collectGarbage, in process (no port is opened). `gc()` of
 * --expose-gc frees the objects but leaves the heap at its size.
 */
export async function collectGarbage(): Promise<void> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.collectGarbage');
  } finally {
    session.disconnect();
  }
}

export function startHeapReducer({
  intervalMs,
  growthBytes,
  idleBelow,
  logger,
  collect = collectGarbage,
  committedBytes = () => getHeapStatistics().total_heap_size,
  busySinceLast = eventLoopBusy(),
}: HeapReducerOptions): { stop(): void } {
  let afterLast = 0;
  let collecting = false;
  const timer = setInterval(() => {
    const busy = busySinceLast();
    const before = committedBytes();
    if (collecting || busy >= idleBelow || before - afterLast < growthBytes) return;
    collecting = true;
    const started = performance.now();
    collect().then(
      () => {
        afterLast = committedBytes();
        collecting = false;
        logger.debug(
          { heapMB: +(before / 2 ** 20).toFixed(1), afterMB: +(afterLast / 2 ** 20).toFixed(1), ms: Math.round(performance.now() - started) },
          'collected garbage while idle',
        );
      },
      (err: Error) => {
        // A Node built without the inspector: criod runs on, with the heap V8 sizes for it.
        clearInterval(timer);
        logger.warn({ err }, 'cannot collect garbage when idle; the heap keeps the size it grew to');
      },
    );
  }, intervalMs);
  // The reducer alone must not keep the daemon alive.
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
