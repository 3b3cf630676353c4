import { Server, type MethodDefinition, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { CriService, Logger } from '@criod/core';
import {
  Container,
  ContainerStats,
  Image,
  ImageServiceService,
  PodSandbox,
  PodSandboxMetrics,
  PodSandboxStats,
  RuntimeServiceService,
} from './gen/runtime/v1/api.js';
import {
  listStream,
  observeStream,
  observeUnary,
  streaming,
  tolerantDeserializer,
  unary,
  unimplementedStream,
  unimplementedUnary,
  type CallContext,
  type RpcObserver,
} from './handler.js';
import { imageHandlers } from './image/index.js';
import { images } from './image/list-images.js';
import {
  checkpointContainer,
  containers,
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
import { containerStats, containerStatsList, listContainerStats, listPodSandboxStats, podSandboxStats, podSandboxStatsList } from './runtime/stats.js';
import { listMetricDescriptors, listPodSandboxMetrics, podSandboxMetricsList } from './runtime/metrics.js';
import { listPodSandbox, podSandboxes, podSandboxStatus, removePodSandbox, runPodSandbox, stopPodSandbox, updatePodSandboxResources } from './runtime/pods.js';
import { getContainerEvents } from './runtime/events.js';
import { runtimeConfig, updateRuntimeConfig } from './runtime/runtime-config.js';
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
    updateRuntimeConfig: updateRuntimeConfig(core),
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
    checkpointContainer: checkpointContainer(core),
    containerStats: containerStats(core),
    listContainerStats: listContainerStats(core),
    podSandboxStats: podSandboxStats(core),
    listPodSandboxStats: listPodSandboxStats(core),
    listMetricDescriptors: listMetricDescriptors(),
    listPodSandboxMetrics: listPodSandboxMetrics(core),
  };
}

/** Server-streaming calls criod serves: each handler owns its stream. */
function streamImpls(core: CriService, logger: Logger): UntypedServiceImplementation {
  return {
    getContainerEvents: getContainerEvents(core, logger),
    streamPodSandboxes: listStream('StreamPodSandboxes', logger, podSandboxes(core), size(PodSandbox), (podSandboxes) => ({ podSandboxes })),
    streamContainers: listStream('StreamContainers', logger, containers(core), size(Container), (containers) => ({ containers })),
    streamContainerStats: listStream('StreamContainerStats', logger, containerStatsList(core), size(ContainerStats), (containerStats) => ({ containerStats })),
    streamPodSandboxStats: listStream('StreamPodSandboxStats', logger, podSandboxStatsList(core), size(PodSandboxStats), (podSandboxStats) => ({
      podSandboxStats,
    })),
    streamPodSandboxMetrics: listStream('StreamPodSandboxMetrics', logger, podSandboxMetricsList(core), size(PodSandboxMetrics), (podSandboxMetrics) => ({
      podSandboxMetrics,
    })),
  };
}

function imageStreamImpls(core: CriService, logger: Logger): UntypedServiceImplementation {
  return { streamImages: listStream('StreamImages', logger, images(core), size(Image), (images) => ({ images })) };
}

/** The encoded size of a message, for chunking a list. */
function size<T>(codec: { encode(message: T): { finish(): Uint8Array } }): (message: T) => number {
  return (message) => codec.encode(message).finish().length;
}

/** A response serializer that sends a reply a handler encoded itself (convert/encoded-items.ts) as it is. */
function passingEncoded(serialize: (value: unknown) => Buffer): (value: unknown) => Buffer {
  return (value) => (value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : serialize(value));
}

/**
 * One service for grpc-js: every method of the definition is bound, and every request
 * deserializer is tolerant so that bytes which do not decode get INVALID_ARGUMENT.
 */
function bindService(
  definition: Definition,
  impls: Record<string, AnyImpl>,
  streams: UntypedServiceImplementation,
  logger: Logger,
  observe: RpcObserver | undefined,
): [ServiceDefinition, UntypedServiceImplementation] {
  const methods: Record<string, MethodDefinition<unknown, unknown>> = {};
  const service: UntypedServiceImplementation = {};
  for (const [method, desc] of Object.entries(definition) as [string, MethodDefinition<unknown, unknown>][]) {
    const rpc = desc.path.slice(desc.path.lastIndexOf('/') + 1);
    methods[method] = {
      ...desc,
      requestDeserialize: tolerantDeserializer(desc.requestDeserialize),
      responseSerialize: passingEncoded(desc.responseSerialize),
    };
    const impl = impls[method];
    const stream = streams[method] as Parameters<typeof streaming>[2] | undefined;
    if (desc.responseStream) {
      const handler = stream ? streaming(rpc, logger, stream) : unimplementedStream(rpc);
      service[method] = observe ? observeStream(rpc, observe, handler) : handler;
    } else {
      const handler = impl ? unary(rpc, logger, impl) : unimplementedUnary(rpc);
      service[method] = observe ? observeUnary(rpc, observe, handler) : handler;
    }
  }
  return [methods, service];
}

export interface CriServerOptions {
  core: CriService;
  logger: Logger;
  /** Without one, Exec, Attach and PortForward answer UNIMPLEMENTED. */
  streaming?: StreamingUrls;
  /** Told of every finished RPC, e.g. for metrics. */
  observe?: RpcObserver;
}

/** One gRPC message at most, either way. */
export const maxMessageBytes = 16 * 1024 * 1024;

export function createCriServer({ core, logger, streaming, observe }: CriServerOptions): Server {
  const server = new Server({ 'grpc.max_receive_message_length': maxMessageBytes, 'grpc.max_send_message_length': maxMessageBytes });
  server.addService(...bindService(RuntimeServiceService, runtimeImpls(core, streaming), streamImpls(core, logger), logger, observe));
  server.addService(...bindService(ImageServiceService, imageHandlers(core), imageStreamImpls(core, logger), logger, observe));
  return server;
}
