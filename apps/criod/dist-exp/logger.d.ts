import type { Logger } from '@criod/core';
/** Structured JSON logs on stderr, so stdout stays free for command output. */
export declare function createLogger(level: string): Logger & {
  flush(): void;
};
//# sourceMappingURL=logger.d.ts.map
