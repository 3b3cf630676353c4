import type { CoreContext, CoreOptions, PluginSet } from './context.js';
import { ImageOperations } from './images/index.js';
import type { Logger } from './logger.js';
import { listPodSandbox, type PodSandboxFilter } from './pods/list-pod-sandbox.js';
import { podSandboxStatus } from './pods/pod-sandbox-status.js';
import { removePodSandbox } from './pods/remove-pod-sandbox.js';
import { runPodSandbox, type RunPodSandboxOptions } from './pods/run-pod-sandbox.js';
import { stopPodSandbox } from './pods/stop-pod-sandbox.js';
import { restore } from './restore.js';
import { CoreState } from './state.js';
import { runtimeConfig, status } from './status.js';
import type { PodSandboxConfig } from './types.js';
import { version } from './version.js';

/**
 * The CRI operations of criod, one module per call (version.ts, pods/run-pod-sandbox.ts, …);
 * this class only binds them to the plugin set so the gRPC layer has one object to call.
 */
export class CriService {
  readonly ctx: CoreContext;
  /** ImageService calls. */
  readonly images: ImageOperations;

  constructor(plugins: PluginSet, logger: Logger, options: CoreOptions) {
    this.ctx = { plugins, logger, options, state: new CoreState() };
    this.images = new ImageOperations(this.ctx);
  }

  /** Load pods and containers from the store; call once before serving. */
  restore() {
    return restore(this.ctx);
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

  runPodSandbox(config: PodSandboxConfig, runtimeHandler: string, options?: RunPodSandboxOptions) {
    return runPodSandbox(this.ctx, config, runtimeHandler, options);
  }

  stopPodSandbox(podId: string) {
    return stopPodSandbox(this.ctx, podId);
  }

  removePodSandbox(podId: string) {
    return removePodSandbox(this.ctx, podId);
  }

  podSandboxStatus(podId: string, verbose: boolean) {
    return podSandboxStatus(this.ctx, podId, verbose);
  }

  listPodSandbox(filter?: PodSandboxFilter) {
    return listPodSandbox(this.ctx, filter);
  }
}
