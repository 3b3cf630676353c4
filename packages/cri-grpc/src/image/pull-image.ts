import { ImageOperations, type CriService } from '@criod/core';
import type { PullImageRequest, PullImageResponse } from '../gen/runtime/v1/api.js';
import { authFromCri } from './image.js';

/** PullImage: image_ref is the image id ("sha256:<hex>"), the same as Image.id. */
export function pullImage(core: CriService) {
  return async (req: PullImageRequest): Promise<PullImageResponse> => {
    const image = await core.images.pull(req.image?.image ?? '', authFromCri(req.auth));
    return { imageRef: ImageOperations.criImageId(image.id) };
  };
}
