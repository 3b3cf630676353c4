export * as cri from './gen/runtime/v1/api.js';
export { createCriServer, maxMessageBytes, type CriServerOptions } from './server.js';
export type { RpcObserver } from './handler.js';
export { serveUnix, type CriListener } from './h2/listener.js';
export type { StreamingUrls } from './runtime/streaming.js';
export { connectCri, type CriClient, type CriClientOptions, type Promisified } from './client.js';
export { toGrpcError } from './status-codes.js';
