import type { CoreContext } from '../context.js';
import type { ImageRecord } from '../types.js';

/** The CRI's id of a stored image: "sha256:<hex>", as containerd and CRI-O answer everywhere. */
export function criImageId(id: string): string {
  return `sha256:${id}`;
}

/**
 * Mark the pause image pinned however it was pulled: the record's own flag, or being what the
 * configured pause image resolves to.
 */
export async function withPinned(ctx: CoreContext, images: ImageRecord[]): Promise<ImageRecord[]> {
  const pause = ctx.options.pauseImage;
  const pauseId = pause ? (await ctx.plugins.images.resolve(pause).catch(() => undefined))?.id : undefined;
  return images.map((img) => (img.pinned || img.id !== pauseId ? img : { ...img, pinned: true }));
}
