import type { CriService } from '@criod/core';
import type { Image, ImageFilter, ListImagesRequest, ListImagesResponse } from '../gen/runtime/v1/api.js';
import { imageToCri } from './image.js';

/** The images a filter selects, shared by ListImages and StreamImages. */
export function images(core: CriService) {
  return async (req: { filter?: ImageFilter | undefined }): Promise<Image[]> => (await core.images.list(req.filter?.image?.image)).map(imageToCri);
}

export function listImages(core: CriService) {
  const list = images(core);
  return async (req: ListImagesRequest): Promise<ListImagesResponse> => ({ images: await list(req) });
}
