import type { CriService } from '@criod/core';
import type { ImageStatusRequest, ImageStatusResponse } from '../gen/runtime/v1/api.js';
import { imageToCri } from './image.js';

/** ImageStatus: an absent image is an unset `image`, not an error. */
export function imageStatus(core: CriService) {
  return async (req: ImageStatusRequest): Promise<ImageStatusResponse> => {
    const st = await core.images.status(req.image?.image ?? '', req.verbose);
    return { image: st.image && imageToCri(st.image), info: st.info };
  };
}
