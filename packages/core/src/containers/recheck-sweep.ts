import type { CoreContext } from '../context.js';
import { checkContainer } from './lookup.js';
import { RECHECK_AFTER_MS } from './state-checks.js';

/** The sweep looks for due containers this many times per RECHECK_AFTER_MS. */
const SLICES = 20;

/**
 * The safety net for an exit the runtime did not announce: while exits are watched, a live
 * container unconfirmed for RECHECK_AFTER_MS is asked about again in the background, the longest
 * unchecked first, one check at a time and at most a twentieth of the containers every 500 ms.
 * So the checks are spread out (after a restore too, which confirms every container at once),
 * they never meet reads in a burst, and reads never start nor wait for one.
 */
export function startRecheckSweep(ctx: CoreContext): void {
  const checks = ctx.state.stateChecks;
  const slice = async () => {
    let budget = Math.ceil(ctx.state.containers.size / SLICES);
    for (const id of checks.due()) {
      if (budget === 0) break;
      const c = ctx.state.containers.get(id);
      // An exited container is final: nothing to recheck, nor to keep.
      if (!c || c.state === 'exited') {
        checks.forget(id);
        continue;
      }
      budget--;
      await checkContainer(ctx, c).catch((err: unknown) => ctx.logger.warn({ err, containerId: id }, 'rechecking a container with the runtime failed'));
    }
  };
  const tick = () => void slice().finally(schedule);
  const schedule = () => setTimeout(tick, RECHECK_AFTER_MS / SLICES).unref();
  schedule();
}
