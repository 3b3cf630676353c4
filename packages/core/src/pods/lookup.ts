import type { CoreContext } from '../context.js';
import { NotFoundError } from '../errors.js';
import type { PodRecord } from '../types.js';
import { resolveIdPrefix } from '../util/ids.js';

/** The pod an id (or unique id prefix) names; NotFound otherwise. */
export function findPod(ctx: CoreContext, ref: string): PodRecord {
  // A full id (what kubelet sends) without a walk over every pod's id.
  const exact = ctx.state.pods.get(ref);
  if (exact) return exact;
  const id = resolveIdPrefix(ref, ctx.state.pods.keys(), 'pod sandbox');
  const pod = ctx.state.pods.get(id);
  if (!pod) throw new NotFoundError(`pod sandbox ${ref} not found`);
  return pod;
}

/** Like findPod, but an unknown pod is undefined: Stop and Remove are idempotent. */
export function findPodIfAny(ctx: CoreContext, ref: string): PodRecord | undefined {
  try {
    return findPod(ctx, ref);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
