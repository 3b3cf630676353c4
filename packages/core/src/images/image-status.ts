import type { CoreContext } from '../context.js';
import { InvalidArgumentError } from '../errors.js';
import type { ImageRecord } from '../types.js';
import { criImageId, withPinned } from './pinned.js';

export interface ImageStatusResult {
  /** Undefined when the image is not stored: not an error. */
  image?: ImageRecord;
  /** Verbose details, one JSON document per key. */
  info: Record<string, string>;
}

/** ImageStatus: the image by id, id prefix, tag, digest or short reference. */
export async function imageStatus(ctx: CoreContext, ref: string, verbose: boolean): Promise<ImageStatusResult> {
  if (ref === '') throw new InvalidArgumentError('ImageStatus needs an image reference');
  const found = await ctx.plugins.images.resolve(ref);
  if (!found) return { info: {} };
  const [image] = await withPinned(ctx, [found]);
  const info: Record<string, string> = {};
  if (verbose) {
    info.info = JSON.stringify({
      id: criImageId(image!.id),
      repoTags: image!.repoTags,
      repoDigests: image!.repoDigests,
      size: image!.size,
      pinned: image!.pinned,
      config: image!.config,
    });
  }
  return { image: image!, info };
}
