/** The manifest and layer media types criod pulls (OCI and Docker schema 2). */
export const mediaTypes = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export const indexMediaTypes: readonly string[] = [mediaTypes.ociIndex, mediaTypes.dockerList];
export const manifestMediaTypes: readonly string[] = [mediaTypes.ociManifest, mediaTypes.dockerManifest];

/** Layer types that are tar streams, plain or compressed (the compression is detected from the bytes). */
export const layerMediaTypes: readonly string[] = [mediaTypes.ociLayerTar, mediaTypes.ociLayerGzip, mediaTypes.ociLayerZstd, mediaTypes.dockerLayerGzip];

/** What a manifest GET accepts, best first. */
export const manifestAccept = [mediaTypes.ociIndex, mediaTypes.dockerList, mediaTypes.ociManifest, mediaTypes.dockerManifest].join(', ');
