/**
 * Test images built from scratch: layer tarballs written entry by entry (owners, modes, times,
 * xattrs, hardlinks, devices, OCI whiteouts), compressed with gzip or zstd, an image config,
 * and OCI or Docker manifests and indexes.
 */
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { execa } from 'execa';
import { sha256Digest } from '../digest.js';
import { mediaTypes } from '../media-types.js';
import { tarArchive, type TarEntry } from '../tar.js';

const gzip = promisify(gzipCb);

export type LayerCompression = 'gzip' | 'zstd' | 'none';
export type ManifestFormat = 'oci' | 'docker';

/** A layer entry: a tar entry, or an OCI whiteout of a path or an opaque marker for a dir. */
export type LayerEntry = TarEntry | { type: 'whiteout'; path: string } | { type: 'opaque'; path: string };

export interface BuiltBlob {
  mediaType: string;
  digest: string;
  size: number;
  data: Buffer;
}

export interface BuiltLayer extends BuiltBlob {
  /** Digest of the uncompressed tar. */
  diffId: string;
  /** Bytes of the uncompressed tar. */
  tarSize: number;
}

export interface BuiltImage {
  mediaType: string;
  /** Manifest bytes and digest. */
  manifest: Buffer;
  digest: string;
  config: BuiltBlob;
  layers: BuiltLayer[];
}

export interface BuiltIndex {
  mediaType: string;
  index: Buffer;
  digest: string;
  images: BuiltImage[];
}

export interface ImagePlatform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ImageSpec {
  layers: BuiltLayer[];
  /** The `config` object of the image config (Cmd, Env, User, Labels, …). */
  config?: Record<string, unknown>;
  platform?: ImagePlatform;
  format?: ManifestFormat;
}

function toTarEntries(entries: readonly LayerEntry[]): TarEntry[] {
  return entries.map((e) => {
    if (e.type === 'whiteout') {
      const slash = e.path.lastIndexOf('/');
      return { path: `${e.path.slice(0, slash + 1)}.wh.${e.path.slice(slash + 1)}`, type: 'file' };
    }
    if (e.type === 'opaque') return { path: `${e.path.replace(/\/$/, '')}/.wh..wh..opq`, type: 'file' };
    return e;
  });
}

async function compress(tar: Buffer, compression: LayerCompression): Promise<Buffer> {
  if (compression === 'gzip') return gzip(tar);
  if (compression === 'zstd') return Buffer.from((await execa('zstd', ['-q', '-c', '-3'], { input: tar, encoding: 'buffer' })).stdout);
  return tar;
}

const layerTypes: Record<LayerCompression, Record<ManifestFormat, string>> = {
  gzip: { oci: mediaTypes.ociLayerGzip, docker: mediaTypes.dockerLayerGzip },
  zstd: { oci: mediaTypes.ociLayerZstd, docker: mediaTypes.ociLayerZstd },
  none: { oci: mediaTypes.ociLayerTar, docker: mediaTypes.ociLayerTar },
};

/** A layer blob from entries; Docker manifests only know gzip, so use 'oci' for zstd or none. */
export async function buildLayer(entries: readonly LayerEntry[], compression: LayerCompression = 'gzip', format: ManifestFormat = 'oci'): Promise<BuiltLayer> {
  const tar = tarArchive(toTarEntries(entries));
  const data = await compress(tar, compression);
  return {
    mediaType: layerTypes[compression][format],
    digest: sha256Digest(data),
    size: data.byteLength,
    data,
    diffId: sha256Digest(tar),
    tarSize: tar.byteLength,
  };
}

/** A minimal root filesystem: busybox-static with its applets as symlinks, /etc, /tmp. */
export async function busyboxEntries(
  applets: readonly string[] = ['sh', 'ls', 'cat', 'echo', 'sleep', 'id', 'stat', 'true', 'false', 'env'],
): Promise<TarEntry[]> {
  const busybox = await readFile('/bin/busybox');
  return [
    { path: 'bin', type: 'dir', mode: 0o755 },
    { path: 'bin/busybox', type: 'file', mode: 0o755, content: busybox },
    ...applets.map((a): TarEntry => ({ path: `bin/${a}`, type: 'symlink', linkTarget: 'busybox', mode: 0o777 })),
    { path: 'etc', type: 'dir', mode: 0o755 },
    { path: 'etc/passwd', type: 'file', content: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n') },
    { path: 'etc/group', type: 'file', content: Buffer.from('root:x:0:\nnogroup:x:65534:\n') },
    { path: 'tmp', type: 'dir', mode: 0o1777 },
  ];
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** An image: its config (with the layers' diff ids) and manifest. */
export function buildImage(spec: ImageSpec): BuiltImage {
  const format = spec.format ?? 'oci';
  const platform = spec.platform ?? { os: 'linux', architecture: 'amd64' };
  const configBytes = json({
    ...platform,
    created: '2026-01-01T00:00:00Z',
    config: spec.config ?? {},
    rootfs: { type: 'layers', diff_ids: spec.layers.map((l) => l.diffId) },
    history: spec.layers.map(() => ({ created: '2026-01-01T00:00:00Z', created_by: 'criod image builder' })),
  });
  const configType = format === 'oci' ? mediaTypes.ociConfig : mediaTypes.dockerConfig;
  const config: BuiltBlob = { mediaType: configType, digest: sha256Digest(configBytes), size: configBytes.byteLength, data: configBytes };
  const mediaType = format === 'oci' ? mediaTypes.ociManifest : mediaTypes.dockerManifest;
  const manifest = json({
    schemaVersion: 2,
    mediaType,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: spec.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  });
  return { mediaType, manifest, digest: sha256Digest(manifest), config, layers: spec.layers };
}

/** An index (OCI) or manifest list (Docker) of images for several platforms. */
export function buildIndex(images: { image: BuiltImage; platform: ImagePlatform }[], format: ManifestFormat = 'oci'): BuiltIndex {
  const mediaType = format === 'oci' ? mediaTypes.ociIndex : mediaTypes.dockerList;
  const index = json({
    schemaVersion: 2,
    mediaType,
    manifests: images.map(({ image, platform }) => ({ mediaType: image.mediaType, digest: image.digest, size: image.manifest.byteLength, platform })),
  });
  return { mediaType, index, digest: sha256Digest(index), images: images.map((i) => i.image) };
}
