import type { CoreContext } from '../context.js';
import { InvalidArgumentError } from '../errors.js';
import { timed } from '../observe.js';
import type { ImageRecord, RegistryAuth } from '../types.js';
import { withPinned } from './pinned.js';

/**
 * PullImage: fetch an image through the store with the CRI auth and the [image.registries]
 * settings. The sandbox config of the request needs nothing here. The pause image is pinned.
 */
export async function pullImage(ctx: CoreContext, ref: string, auth?: RegistryAuth): Promise<ImageRecord> {
  if (ref.trim() === '') throw new InvalidArgumentError('PullImage needs an image reference');
  const pinned = ctx.options.pauseImage !== undefined && ref === ctx.options.pauseImage;
  ctx.logger.info({ image: ref }, 'pulling image');
  const image = await timed(
    () => ctx.plugins.images.pull(ref, { registries: ctx.options.registries ?? {}, ...(auth ? { auth } : {}), pinned }),
    (ok, seconds) => ctx.options.observe?.({ type: 'image_pull', ok, seconds }),
  );
  const [marked] = await withPinned(ctx, [image]);
  return marked!;
}
