import { Server, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { CriService, Logger } from '@criod/core';
import { ImageServiceService, RuntimeServiceService } from './gen/runtime/v1/api.js';
import { unary, unimplementedStream, unimplementedUnary, type CallContext } from './handler.js';
import { imageHandlers } from './image/index.js';
import {
  containerStatus,
  createContainer,
  execSync,
  listContainers,
  removeContainer,
  reopenContainerLog,
  startContainer,
  stopContainer,
  updateContainerResources,
} from './runtime/containers.js';
import { containerStats, listContainerStats, listPodSandboxStats, podSandboxStats } from './runtime/stats.js';
import { listPodSandbox, podSandboxStatus, removePodSandbox, runPodSandbox, stopPodSandbox, updatePodSandboxResources } from './runtime/pods.js';
import { getContainerEvents } from './runtime/events.js';
import { runtimeConfig } from './runtime/runtime-config.js';
import { attach, exec, portForward, type StreamingUrls } from './runtime/streaming.js';
import { status } from './runtime/status.js';
import { version } from './runtime/version.js';

type Definition = typeof RuntimeServiceService | typeof ImageServiceService;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyImpl = (req: any, call: CallContext) => unknown;

/** The CRI calls criod serves; every other RPC of the proto answers UNIMPLEMENTED naming it. */
function runtimeImpls(core: CriService, streaming: StreamingUrls | undefined): Record<string, AnyImpl> {
  return {
    ...(streaming ? { exec: exec(core, streaming), attach: attach(core, streaming), portForward: portForward(core, streaming) } : {}),
    version: version(core),
    status: status(core),
    runtimeConfig: runtimeConfig(core),
    runPodSandbox: runPodSandbox(core),
    stopPodSandbox: stopPodSandbox(core),
    removePodSandbox: removePodSandbox(core),
    podSandboxStatus: podSandboxStatus(core),
    listPodSandbox: listPodSandbox(core),
    updatePodSandboxResources: updatePodSandboxResources(core),
    createContainer: createContainer(core),
    startContainer: startContainer(core),
    stopContainer: stopContainer(core),
    removeContainer: removeContainer(core),
    containerStatus: containerStatus(core),
    listContainers: listContainers(core),
    execSync: execSync(core),
    updateContainerResources: updateContainerResources(core),
    reopenContainerLog: reopenContainerLog(core),
    containerStats: containerStats(core),
    listContainerStats: listContainerStats(core),
    podSandboxStats: podSandboxStats(core),
    listPodSandboxStats: listPodSandboxStats(core),
  };
}

/** Server-streaming calls criod serves: each handler owns its stream. */
function streamImpls(core: CriService, logger: Logger): UntypedServiceImplementation {
  return { getContainerEvents: getContainerEvents(core, logger) };
}

/** Build the grpc-js implementation of one service: every method of the definition is bound. */
function bindService(definition: Definition, impls: Record<string, AnyImpl>, streams: UntypedServiceImplementation, logger: Logger): UntypedServiceImplementation {
  const service: UntypedServiceImplementation = {};
  for (const [method, desc] of Object.entries(definition)) {
    const rpc = desc.path.slice(desc.path.lastIndexOf('/') + 1);
    const impl = impls[method];
    const stream = streams[method];
    if (desc.responseStream) service[method] = stream ?? unimplementedStream(rpc);
    else service[method] = impl ? unary(rpc, logger, impl) : unimplementedUnary(rpc);
  }
  return service;
}

export interface CriServerOptions {
  core: CriService;
  logger: Logger;
  /** Without one, Exec, Attach and PortForward answer UNIMPLEMENTED. */
  streaming?: StreamingUrls;
}

export function createCriServer({ core, logger, streaming }: CriServerOptions): Server {
  const server = new Server({ 'grpc.max_receive_message_length': 16 * 1024 * 1024, 'grpc.max_send_message_length': 16 * 1024 * 1024 });
  server.addService(RuntimeServiceService, bindService(RuntimeServiceService, runtimeImpls(core, streaming), streamImpls(core, logger), logger));
  server.addService(ImageServiceService, bindService(ImageServiceService, imageHandlers(core), {}, logger));
  return server;
}
