import { pino } from 'pino';
import type { Logger } from '@criod/core';

/**
 * An error's `type` is its `name`: pino would take the constructor's name, which the minified
 * bundle shortens, while criod's error classes name themselves. Anything else logged as `err` (a
 * string, a plain object) passes as pino's serializer leaves it.
 */
export function serializeError(err: unknown): unknown {
  const out: unknown = pino.stdSerializers.err(err as Error);
  if (err instanceof Error && typeof out === 'object' && out !== null) (out as { type: string }).type = err.name;
  return out;
}

/** Structured JSON logs on stderr, so stdout stays free for command output. */
export function createLogger(level: string): Logger & { flush(): void } {
  return pino(
    { level, base: { name: 'criod' }, timestamp: pino.stdTimeFunctions.isoTime, serializers: { err: serializeError } },
    pino.destination({ fd: 2, sync: true }),
  );
}
