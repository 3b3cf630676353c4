import type { CoreContext } from '../context.js';
import type { RegistryAuth } from '../types.js';
import { imageFsInfo } from './image-fs-info.js';
import { imageStatus } from './image-status.js';
import { listImages } from './list-images.js';
import { criImageId } from './pinned.js';
import { pullImage } from './pull-image.js';
import { removeImage } from './remove-image.js';

export type { ImageStatusResult } from './image-status.js';
export type { ImageFsInfoResult } from './image-fs-info.js';

/**
 * The ImageService operations (PullImage, ImageStatus, ListImages, RemoveImage, ImageFsInfo),
 * one module each in this directory. Image ids are bare hex in core; the CRI sees them as
 * `criImageId(id)` ("sha256:<hex>").
 */
export class ImageOperations {
  constructor(readonly ctx: CoreContext) {}

  /** The CRI's id of a stored image ("sha256:<hex>"), for image_ref, Image.id and ContainerStatus.image_id alike. */
  static criImageId(id: string): string {
    return criImageId(id);
  }

  pull(ref: string, auth?: RegistryAuth) {
    return pullImage(this.ctx, ref, auth);
  }

  status(ref: string, verbose: boolean) {
    return imageStatus(this.ctx, ref, verbose);
  }

  list(filterRef?: string) {
    return listImages(this.ctx, filterRef);
  }

  remove(ref: string) {
    return removeImage(this.ctx, ref);
  }

  fsInfo() {
    return imageFsInfo(this.ctx);
  }
}
