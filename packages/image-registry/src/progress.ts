import type { Logger } from '@criod/core';

/**
 * A progress callback that logs bytes/total at most once per `intervalMs`, and always once at
 * the end, so a big layer shows up in the logs without flooding them.
 */
export function throttledProgress(logger: Logger, fields: Record<string, unknown>, intervalMs = 1000): (received: number, total: number) => void {
  let last = 0;
  return (received, total) => {
    const now = Date.now();
    if (received < total && now - last < intervalMs) return;
    last = now;
    logger.info(
      { ...fields, bytes: received, total, percent: total > 0 ? Math.floor((received / total) * 100) : 100 },
      received < total ? 'pulling' : 'pulled',
    );
  };
}
