import { pino } from 'pino';
import type { Logger } from '@criod/core';

/**
 * An error's `type` is its `name`: pino would take the constructor's name, which the minified
 * bundle shortens, while criod's error classes name themselves.
 */
function serializeError(err: Error): ReturnType<typeof pino.stdSerializers.err> {
  const out = pino.stdSerializers.err(err);
  out.type = err.name;
  return out;
}

/** Structured JSON logs on stderr, so stdout stays free for command output. */
export function createLogger(level: string): Logger & { flush(): void } {
  return pino(
    { level, base: { name: 'criod' }, timestamp: pino.stdTimeFunctions.isoTime, serializers: { err: serializeError } },
    pino.destination({ fd: 2, sync: true }),
  );
}
