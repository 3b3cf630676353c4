import type { CriService } from '@criod/core';
import type { RemoveImageRequest, RemoveImageResponse } from '../gen/runtime/v1/api.js';

export function removeImage(core: CriService) {
  return async (req: RemoveImageRequest): Promise<RemoveImageResponse> => {
    await core.images.remove(req.image?.image ?? '');
    return {};
  };
}
