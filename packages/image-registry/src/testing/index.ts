/** Test helpers: a real local registry, images built from scratch, pushing, and small fake servers. */
export { startRegistry, freePort, htpasswd, registryBinary, type TestRegistry, type RegistryAuthSetup } from './registry-server.js';
export { startTokenServer, type TokenServer, type TokenServerOptions } from './token-server.js';
export {
  buildLayer,
  buildImage,
  buildIndex,
  busyboxEntries,
  type LayerEntry,
  type LayerCompression,
  type ManifestFormat,
  type BuiltBlob,
  type BuiltLayer,
  type BuiltImage,
  type BuiltIndex,
  type ImagePlatform,
  type ImageSpec,
} from './image-builder.js';
export { Pusher, push, basicAuth, type PushTarget } from './pusher.js';
export { startCountingProxy, startStaticRegistry, type RequestHook, type RecordedRequest, type TestHttpServer } from './http-servers.js';
