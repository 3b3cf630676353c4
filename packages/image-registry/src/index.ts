export { ImageReference, parseReference, tryParseReference, defaultDomain } from './reference.js';
export { parseDigest, sha256Digest, digestLike, hasherFor, type ParsedDigest } from './digest.js';
export { mediaTypes, layerMediaTypes, manifestMediaTypes, indexMediaTypes } from './media-types.js';
export {
  parseManifestDocument,
  parseImageConfig,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  type ImageConfigDocument,
  type ManifestDocument,
  type PlatformSpec,
} from './manifest.js';
export { hostPlatform, normalizePlatform, selectManifest, formatPlatform, type Platform } from './platform.js';
export { parseChallenges, type AuthChallenge } from './challenge.js';
export { credentialsFromAuth, type Credentials } from './credentials.js';
export { endpointsFor, matchRegistry, isLoopbackHost, type Endpoint } from './endpoints.js';
export { RegistryHttp, RegistryResponse, ProgressWatchdog, httpDefaults, type RegistryHttpOptions, type SendInit } from './http.js';
export { RegistryClient, type RegistryClientOptions, type ResolvedImage, type ProgressCallback } from './client.js';
export { throttledProgress } from './progress.js';
export { describeRegistryError, registryStatusError } from './errors.js';
export { tarArchive, tarEntryBlocks, type TarEntry, type TarEntryType } from './tar.js';
