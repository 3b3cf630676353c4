import { containerStatus } from './containers/container-status.js';
import { checkpointContainer } from './containers/checkpoint-container.js';
import { createContainer } from './containers/create-container.js';
import { onContainerEvent, type ContainerEventListener } from './containers/events.js';
import { execSync } from './containers/exec-sync.js';
import { listContainers, type ContainerFilter } from './containers/list-containers.js';
import { removeContainer } from './containers/remove-container.js';
import { isCheckpointArchive, restoreContainer } from './containers/restore-container.js';
import { startContainer } from './containers/start-container.js';
import { containerStats, listContainerStats, listPodSandboxStats, podSandboxStats, type ContainerStatsFilter } from './containers/stats.js';
import { stopContainer } from './containers/stop-container.js';
import { attachInteractive, execInteractive, prepareAttach, prepareExec, type StreamRequest } from './containers/streaming.js';
import { reopenContainerLog, updateContainerResources } from './containers/update-container.js';
import type { CoreContext, CoreOptions, PluginSet } from './context.js';
import { ImageOperations } from './images/index.js';
import type { Logger } from './logger.js';
import type { InteractiveOptions } from './plugins.js';
import { listPodSandbox, type PodSandboxFilter } from './pods/list-pod-sandbox.js';
import { podSandboxStatus } from './pods/pod-sandbox-status.js';
import { portForward, preparePortForward } from './pods/port-forward.js';
import { removePodSandbox } from './pods/remove-pod-sandbox.js';
import { runPodSandbox, type RunPodSandboxOptions } from './pods/run-pod-sandbox.js';
import { stopPodSandbox } from './pods/stop-pod-sandbox.js';
import { updatePodSandboxResources } from './pods/update-pod-sandbox-resources.js';
import { restore } from './restore.js';
import { stateCounts, updateRuntimeConfig } from './runtime-config.js';
import { CoreState } from './state.js';
import { runtimeConfig, status } from './status.js';
import type { ContainerConfig, LinuxResources, PodSandboxConfig } from './types.js';
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

  updateRuntimeConfig(podCidr: string) {
    return updateRuntimeConfig(this.ctx, podCidr);
  }

  /** Pods and containers by state, for metrics. */
  stateCounts() {
    return stateCounts(this.ctx);
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

  /** An image that is an absolute path names a checkpoint archive to restore from. */
  createContainer(podId: string, config: ContainerConfig) {
    return isCheckpointArchive(config.image) ? restoreContainer(this.ctx, podId, config) : createContainer(this.ctx, podId, config);
  }

  checkpointContainer(id: string, location: string, timeoutSeconds: number) {
    return checkpointContainer(this.ctx, id, location, timeoutSeconds);
  }

  startContainer(id: string) {
    return startContainer(this.ctx, id);
  }

  stopContainer(id: string, timeoutSeconds: number) {
    return stopContainer(this.ctx, id, timeoutSeconds);
  }

  removeContainer(id: string) {
    return removeContainer(this.ctx, id);
  }

  containerStatus(id: string, verbose: boolean) {
    return containerStatus(this.ctx, id, verbose);
  }

  listContainers(filter?: ContainerFilter) {
    return listContainers(this.ctx, filter);
  }

  execSync(id: string, cmd: string[], timeoutSeconds: number) {
    return execSync(this.ctx, id, cmd, timeoutSeconds);
  }

  updateContainerResources(id: string, resources: LinuxResources | undefined) {
    return updateContainerResources(this.ctx, id, resources);
  }

  reopenContainerLog(id: string) {
    return reopenContainerLog(this.ctx, id);
  }

  containerStats(id: string) {
    return containerStats(this.ctx, id);
  }

  listContainerStats(filter?: ContainerStatsFilter) {
    return listContainerStats(this.ctx, filter);
  }

  podSandboxStats(podId: string) {
    return podSandboxStats(this.ctx, podId);
  }

  listPodSandboxStats(filter?: { id?: string; labelSelector?: Record<string, string> }) {
    return listPodSandboxStats(this.ctx, filter);
  }

  updatePodSandboxResources(podId: string, overhead: LinuxResources | undefined, resources: LinuxResources | undefined) {
    return updatePodSandboxResources(this.ctx, podId, overhead, resources);
  }

  /** Container lifecycle events; returns the unsubscribe. */
  onContainerEvent(listener: ContainerEventListener) {
    return onContainerEvent(this.ctx, listener);
  }

  prepareExec(req: StreamRequest & { cmd: string[] }) {
    return prepareExec(this.ctx, req);
  }

  prepareAttach(req: StreamRequest) {
    return prepareAttach(this.ctx, req);
  }

  /** PortForward's checks (the pod exists and is ready); answers the pod's full id. */
  preparePortForward(podId: string) {
    return preparePortForward(this.ctx, podId);
  }

  /** A connection to 127.0.0.1:<port> inside the pod, for the streaming server. */
  portForward(podId: string, port: number) {
    return portForward(this.ctx, podId, port);
  }

  exec(containerId: string, cmd: string[], options: InteractiveOptions) {
    return execInteractive(this.ctx, containerId, cmd, options);
  }

  attach(containerId: string, options: InteractiveOptions) {
    return attachInteractive(this.ctx, containerId, options);
  }
}
