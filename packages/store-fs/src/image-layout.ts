/**
 * Where things live under <root>/images:
 *   records/<id>.json          image records (written last: no record, no image)
 *   quarantine/<id>.json       image records that could not be read, set aside
 *   blobs/sha256/<hex>         manifests, indexes and configs, content-addressed
 *   layers/<chain-id>/diff     an unpacked layer, shared by every image with that chain
 *   layers/<chain-id>/layer.json
 *   l/<link>                   short symlinks to layer diffs, so overlay's options fit a page
 *   containers/<id>/{upper,work,merged,rootfs.json}
 *   tmp/                       downloads and unpacks in progress, dirs being deleted; emptied at start
 */
import { join } from 'node:path';
import { InvalidArgumentError } from '@criod/core';
import { parseDigest } from '@criod/image-registry';

const containerIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const hex64 = /^[a-f0-9]{64}$/;

export class ImageLayout {
  constructor(readonly root: string) {}

  get records(): string {
    return join(this.root, 'records');
  }
  get quarantine(): string {
    return join(this.root, 'quarantine');
  }
  get blobs(): string {
    return join(this.root, 'blobs');
  }
  get layers(): string {
    return join(this.root, 'layers');
  }
  get links(): string {
    return join(this.root, 'l');
  }
  get containers(): string {
    return join(this.root, 'containers');
  }
  get tmp(): string {
    return join(this.root, 'tmp');
  }

  blob(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.blobs, algorithm, hex);
  }

  /** A layer's dir by chain id hex. */
  layer(chainHex: string): string {
    if (!hex64.test(chainHex)) throw new InvalidArgumentError(`invalid layer chain id ${JSON.stringify(chainHex)}`);
    return join(this.layers, chainHex);
  }

  /** A container's rootfs dir; the id becomes a path, so it is checked. */
  container(containerId: string): string {
    if (!containerIdPattern.test(containerId)) throw new InvalidArgumentError(`invalid container id ${JSON.stringify(containerId)}`);
    return join(this.containers, containerId);
  }
}
