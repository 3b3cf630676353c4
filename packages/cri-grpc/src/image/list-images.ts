import type { CriService } from '@criod/core';
import type { ListImagesRequest, ListImagesResponse } from '../gen/runtime/v1/api.js';
import { imageToCri } from './image.js';

export function listImages(core: CriService) {
  return async (req: ListImagesRequest): Promise<ListImagesResponse> => ({
    images: (await core.images.list(req.filter?.image?.image)).map(imageToCri),
  });
}
