import type { Logger } from '../logger.js';

/**
 * The cleanup of a multi-step operation: each step registers its undo right after it
 * succeeds; on failure they run in reverse, each one attempted even if an earlier one failed.
 */
export class UndoStack {
  private readonly steps: { what: string; undo: () => Promise<unknown> }[] = [];

  constructor(private readonly logger: Logger) {}

  push(what: string, undo: () => Promise<unknown>): void {
    this.steps.push({ what, undo });
  }

  async unwind(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step.undo();
      } catch (err) {
        this.logger.error({ err, step: step.what }, 'cleanup step failed');
      }
    }
  }
}
