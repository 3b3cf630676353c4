import type { CoreContext } from '../context.js';
import { FailedPreconditionError, InvalidArgumentError } from '../errors.js';
import { criImageId, withPinned } from './pinned.js';

/**
 * RemoveImage by id, tag or digest: an absent image is success; an image a container uses, or
 * the pinned pause image, stays, with the reason.
 */
export async function removeImage(ctx: CoreContext, ref: string): Promise<void> {
  if (ref === '') throw new InvalidArgumentError('RemoveImage needs an image reference');
  const { images, records } = ctx.plugins;
  const found = await images.resolve(ref);
  if (!found) return;
  const [image] = await withPinned(ctx, [found]);
  const name = `${criImageId(image!.id)}${image!.repoTags.length > 0 ? ` (${image!.repoTags.join(', ')})` : ''}`;
  if (image!.pinned) throw new FailedPreconditionError(`image ${name} is pinned (the pause image) and is not removed`);
  const user = (await records.containers.list()).find((c) => c.imageId === image!.id);
  if (user) throw new FailedPreconditionError(`image ${name} is in use by container ${user.id} (${user.name}); remove the container first`);
  await images.remove(image!.id);
  ctx.logger.info({ image: name }, 'image removed');
}
