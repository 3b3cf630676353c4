import { pino } from 'pino';
import type { Logger } from '@criod/core';

/** Structured JSON logs on stderr, so stdout stays free for command output. */
export function createLogger(level: string): Logger & { flush(): void } {
  return pino({ level, base: { name: 'criod' }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: 2, sync: true }));
}
