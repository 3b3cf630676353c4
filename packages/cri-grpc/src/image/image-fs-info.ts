import type { CriService } from '@criod/core';
import type { ImageFsInfoRequest, ImageFsInfoResponse } from '../gen/runtime/v1/api.js';
import { filesystemUsageToCri } from './image.js';

export function imageFsInfo(core: CriService) {
  return async (_req: ImageFsInfoRequest): Promise<ImageFsInfoResponse> => {
    const fs = await core.images.fsInfo();
    return { imageFilesystems: fs.imageFilesystems.map(filesystemUsageToCri), containerFilesystems: fs.containerFilesystems.map(filesystemUsageToCri) };
  };
}
