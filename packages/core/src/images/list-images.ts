import type { CoreContext } from '../context.js';
import type { ImageRecord } from '../types.js';
import { withPinned } from './pinned.js';

/** ListImages: every stored image, or the one a filter reference names. */
export async function listImages(ctx: CoreContext, filterRef?: string): Promise<ImageRecord[]> {
  const { images } = ctx.plugins;
  if (filterRef) {
    const found = await images.resolve(filterRef);
    return found ? withPinned(ctx, [found]) : [];
  }
  return withPinned(ctx, await images.list());
}
