import type { CoreContext } from '../context.js';
import type { ContainerRecord } from '../types.js';
import { checkContainer } from './lookup.js';
import { RECHECK_AFTER_MS } from './state-checks.js';

/** The sweep visits every container once per RECHECK_AFTER_MS, in this many slices. */
const SLICES = 20;

/**
 * The safety net for an exit the runtime did not announce: while exits are watched, every live
 * container is asked about again about once per RECHECK_AFTER_MS, in the background, a slice of
 * the containers at a time and one check at a time. Spread so, the checks never meet reads in a
 * burst, and reads never wait for them nor start them. A container confirmed in the last half
 * interval (by a read or an announced exit) is skipped, so each is asked at least every 1.5
 * intervals and usually once per interval.
 */
export function startRecheckSweep(ctx: CoreContext): void {
  let cursor: Iterator<ContainerRecord> = ctx.state.containers.values();
  /** The next `count` containers, going round; fewer when there are fewer. */
  const next = (count: number): ContainerRecord[] => {
    const out: ContainerRecord[] = [];
    let restarted = false;
    while (out.length < count) {
      const step = cursor.next();
      if (!step.done) {
        out.push(step.value);
        continue;
      }
      if (restarted) break;
      restarted = true;
      cursor = ctx.state.containers.values();
    }
    return out;
  };
  const slice = async () => {
    for (const c of next(Math.ceil(ctx.state.containers.size / SLICES))) {
      if (c.state === 'exited' || ctx.state.stateChecks.checkedWithin(c.id, RECHECK_AFTER_MS / 2)) continue;
      await checkContainer(ctx, c).catch((err: unknown) => ctx.logger.warn({ err, containerId: c.id }, 'rechecking a container with the runtime failed'));
    }
  };
  const tick = () => void slice().finally(schedule);
  const schedule = () => setTimeout(tick, RECHECK_AFTER_MS / SLICES).unref();
  schedule();
}
