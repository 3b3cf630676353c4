import type { CoreContext } from '../context.js';
import type { FilesystemUsage } from '../types.js';

export interface ImageFsInfoResult {
  imageFilesystems: FilesystemUsage[];
  /** Container writable layers live in the image store too, so this is the same usage (as CRI-O reports by default). */
  containerFilesystems: FilesystemUsage[];
}

/** ImageFsInfo: bytes and inodes the image store uses. */
export async function imageFsInfo(ctx: CoreContext): Promise<ImageFsInfoResult> {
  const usage = await ctx.plugins.images.fsInfo();
  return { imageFilesystems: [usage], containerFilesystems: [usage] };
}
