import { pino } from 'pino';
/** Structured JSON logs on stderr, so stdout stays free for command output. */
export function createLogger(level) {
  return pino({ level, base: { name: 'criod' }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: 2, sync: true }));
}
//# sourceMappingURL=logger.js.map
