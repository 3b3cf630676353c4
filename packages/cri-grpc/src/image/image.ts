/** ImageRecord and friends ⇄ runtime.v1 messages, shared by the image RPCs. */
import { ImageOperations, type FilesystemUsage, type ImageRecord, type RegistryAuth } from '@criod/core';
import type { AuthConfig, FilesystemUsage as CriFilesystemUsage, Image } from '../gen/runtime/v1/api.js';

export function imageToCri(img: ImageRecord): Image {
  return {
    id: ImageOperations.criImageId(img.id),
    repoTags: img.repoTags,
    repoDigests: img.repoDigests,
    size: BigInt(img.size),
    uid: img.uid === undefined ? undefined : { value: BigInt(img.uid) },
    username: img.username,
    spec: undefined,
    pinned: img.pinned,
  };
}

export function authFromCri(auth: AuthConfig | undefined): RegistryAuth | undefined {
  if (!auth) return undefined;
  const { username, password, auth: basic, serverAddress, identityToken, registryToken } = auth;
  return { username, password, auth: basic, serverAddress, identityToken, registryToken };
}

export function filesystemUsageToCri(fs: FilesystemUsage): CriFilesystemUsage {
  return {
    timestamp: fs.timestamp,
    fsId: { mountpoint: fs.mountpoint },
    usedBytes: { value: BigInt(fs.usedBytes) },
    inodesUsed: { value: BigInt(fs.inodesUsed) },
  };
}
