import type { CriService } from '@criod/core';
import { imageFsInfo } from './image-fs-info.js';
import { imageStatus } from './image-status.js';
import { listImages } from './list-images.js';
import { pullImage } from './pull-image.js';
import { removeImage } from './remove-image.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyImpl = (req: any) => unknown;

/** ImageService handlers, keyed by the generated method names (pullImage, imageStatus, …). */
export function imageHandlers(core: CriService): Record<string, AnyImpl> {
  return {
    pullImage: pullImage(core),
    imageStatus: imageStatus(core),
    listImages: listImages(core),
    removeImage: removeImage(core),
    imageFsInfo: imageFsInfo(core),
  };
}
