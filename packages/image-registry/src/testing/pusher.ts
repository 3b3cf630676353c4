/**
 * Pushes test images with the distribution upload API: POST /v2/<name>/blobs/uploads/, then
 * PUT <location>?digest=…; manifests with PUT /v2/<name>/manifests/<ref>. Auth goes through the
 * same client as pulls, with the push scope.
 */
import { InternalError, type RegistryAuth } from '@criod/core';
import { RegistryClient } from '../client.js';
import type { Endpoint } from '../endpoints.js';
import { describeRegistryError } from '../errors.js';
import { RegistryHttp } from '../http.js';
import type { BuiltBlob, BuiltImage, BuiltIndex } from './image-builder.js';

export interface PushTarget {
  /** "127.0.0.1:<port>" */
  host: string;
  repository: string;
  /** Tag to push the image or index under; without one it is only reachable by digest. */
  tag?: string;
  auth?: RegistryAuth;
}

/** A RegistryAuth with only a username and password. */
export function basicAuth(username: string, password: string): RegistryAuth {
  return { username, password, auth: '', serverAddress: '', identityToken: '', registryToken: '' };
}

async function expectStatus(res: { status: number; errorText(): Promise<string>; discard(): Promise<void> }, want: number, what: string): Promise<void> {
  if (res.status !== want) throw new InternalError(`${what}: ${describeRegistryError(res.status, await res.errorText())}`);
  await res.discard();
}

export class Pusher {
  private readonly http = new RegistryHttp({ retries: 0 });
  private readonly client: RegistryClient;
  private readonly endpoint: Endpoint;

  constructor(readonly target: PushTarget) {
    this.client = new RegistryClient({ http: this.http, ...(target.auth ? { auth: target.auth } : {}) });
    this.endpoint = { host: target.host, repository: target.repository, insecure: true, role: 'registry' };
  }

  async pushBlob(blob: Pick<BuiltBlob, 'digest' | 'data'>): Promise<void> {
    const base = `/v2/${this.endpoint.repository}/blobs/uploads/`;
    const started = await this.client.request(this.endpoint, base, { method: 'POST' }, `start upload of ${blob.digest}`, 'pull,push');
    const location = started.header('location');
    await expectStatus(started, 202, `start upload of ${blob.digest}`);
    if (!location) throw new InternalError(`upload of ${blob.digest}: no Location`);
    const url = new URL(location, `http://${this.endpoint.host}`);
    url.searchParams.set('digest', blob.digest);
    const put = await this.client.request(
      this.endpoint,
      url.pathname + url.search,
      { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: blob.data },
      `upload of ${blob.digest}`,
      'pull,push',
    );
    await expectStatus(put, 201, `upload of ${blob.digest}`);
  }

  async pushManifest(ref: string, mediaType: string, bytes: Buffer): Promise<void> {
    const res = await this.client.request(
      this.endpoint,
      `/v2/${this.endpoint.repository}/manifests/${ref}`,
      { method: 'PUT', headers: { 'content-type': mediaType }, body: bytes },
      `manifest ${ref}`,
      'pull,push',
    );
    await expectStatus(res, 201, `manifest ${this.endpoint.repository}:${ref}`);
  }

  /** Blobs, then the manifest by digest and by tag. */
  async pushImage(image: BuiltImage, tag = this.target.tag): Promise<void> {
    for (const blob of [...image.layers, image.config]) await this.pushBlob(blob);
    await this.pushManifest(image.digest, image.mediaType, image.manifest);
    if (tag) await this.pushManifest(tag, image.mediaType, image.manifest);
  }

  /** Every image of the index, then the index itself. */
  async pushIndex(index: BuiltIndex, tag = this.target.tag): Promise<void> {
    for (const image of index.images) await this.pushImage(image, undefined);
    await this.pushManifest(index.digest, index.mediaType, index.index);
    if (tag) await this.pushManifest(tag, index.mediaType, index.index);
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}

/** Push an image or an index to a registry in one call. */
export async function push(target: PushTarget, content: BuiltImage | BuiltIndex): Promise<void> {
  const pusher = new Pusher(target);
  try {
    if ('index' in content) await pusher.pushIndex(content);
    else await pusher.pushImage(content);
  } finally {
    await pusher.close();
  }
}
