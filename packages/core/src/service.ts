import type { CoreContext, CoreOptions, PluginSet } from './context.js';
import type { Logger } from './logger.js';
import { ImageOperations } from './images/index.js';
import { runtimeConfig, status } from './status.js';
import { version } from './version.js';

/**
 * The CRI operations of criod, one module per call (version.ts, status.ts, …); this class only
 * binds them to the plugin set so the gRPC layer has one object to call.
 */
export class CriService {
  readonly ctx: CoreContext;
  /** ImageService calls. */
  readonly images: ImageOperations;

  constructor(plugins: PluginSet, logger: Logger, options: CoreOptions) {
    this.ctx = { plugins, logger, options };
    this.images = new ImageOperations(this.ctx);
  }

  version() {
    return version(this.ctx);
  }

  status(verbose: boolean) {
    return status(this.ctx, verbose);
  }

  runtimeConfig() {
    return runtimeConfig(this.ctx);
  }
}
