import type { CoreContext } from '../context.js';

/**
 * The ImageService operations (PullImage, ImageStatus, ListImages, RemoveImage, ImageFsInfo),
 * one module each in this directory.
 */
export class ImageOperations {
  constructor(readonly ctx: CoreContext) {}
}
