/**
 * The OCI distribution client of one pull: resolves a reference to a platform manifest and its
 * config through the configured endpoints, and downloads blobs to disk verifying their digest.
 */
import { open, rm } from 'node:fs/promises';
import { CriodError, DeadlineExceededError, InternalError, NotFoundError, type Logger, type RegistriesConfig, type RegistryAuth } from '@criod/core';
import { Authorizer } from './auth.js';
import { credentialsFromAuth } from './credentials.js';
import { digestLike, hasherFor, parseDigest, sha256Digest } from './digest.js';
import { endpointsFor, type Endpoint } from './endpoints.js';
import { registryStatusError } from './errors.js';
import { isTransientError, type RegistryHttp, type RegistryResponse, type SendInit } from './http.js';
import { parseImageConfig, parseManifestDocument, type Descriptor, type ImageConfigDocument, type ImageManifest } from './manifest.js';
import { manifestAccept } from './media-types.js';
import { formatPlatform, hostPlatform, selectManifest, type Platform } from './platform.js';
import { parseReference, type ImageReference } from './reference.js';

const maxManifestBytes = 4 * 1024 * 1024;
const maxConfigBytes = 32 * 1024 * 1024;

export interface RegistryClientOptions {
  http: RegistryHttp;
  registries?: RegistriesConfig;
  auth?: RegistryAuth;
  /** The platform picked from an index; the host's by default. */
  platform?: Platform;
  logger?: Logger;
}

export interface ResolvedImage {
  reference: ImageReference;
  /** Digest of what the reference names (index or manifest): the image's repo digest. */
  digest: string;
  manifestDigest: string;
  manifest: ImageManifest;
  configDigest: string;
  config: ImageConfigDocument;
  /** Raw bytes of the index (if any), the manifest and the config, by digest, for the store. */
  documents: Map<string, Buffer>;
  /** Where blobs come from, best first: the endpoint that answered the manifest, then the others. */
  endpoints: Endpoint[];
}

export type ProgressCallback = (received: number, total: number) => void;

export class RegistryClient {
  private readonly authorizer: Authorizer;
  private readonly registries: RegistriesConfig;
  private readonly platform: Platform;

  constructor(private readonly options: RegistryClientOptions) {
    this.registries = options.registries ?? {};
    this.platform = options.platform ?? hostPlatform();
    this.authorizer = new Authorizer(options.http, credentialsFromAuth(options.auth), options.logger);
  }

  /** The endpoints a reference is pulled from, in order. */
  endpoints(ref: ImageReference): Endpoint[] {
    return endpointsFor(ref, this.registries);
  }

  /**
   * One authorized request to an endpoint (`pathAndQuery` starts with /v2/); a 401 is answered
   * once with what its challenge asks for. `actions` is the repository scope ("pull", "pull,push").
   */
  async request(endpoint: Endpoint, pathAndQuery: string, init: SendInit, what: string, actions = 'pull'): Promise<RegistryResponse> {
    const scope = `repository:${endpoint.repository}:${actions}`;
    const send = (authorization: string | undefined) =>
      this.options.http.sendToHost(
        endpoint.host,
        pathAndQuery,
        { ...init, headers: { ...init.headers, ...(authorization ? { authorization } : {}) } },
        endpoint.insecure,
        what,
      );
    const sent = this.authorizer.header(endpoint.host, scope);
    const res = await send(sent);
    if (res.status !== 401) return res;
    const challenge = res.header('www-authenticate');
    await res.discard();
    await this.authorizer.answer(endpoint.host, scope, endpoint.insecure, challenge, sent, what);
    const retried = await send(this.authorizer.header(endpoint.host, scope));
    if (retried.status !== 401) return retried;
    const again = retried.header('www-authenticate');
    await retried.discard();
    // Throws with the reason: the new credentials were refused.
    await this.authorizer.answer(endpoint.host, scope, endpoint.insecure, again, this.authorizer.header(endpoint.host, scope), what);
    throw registryStatusError(what, 401, '');
  }

  /** Resolve a reference to its platform manifest and config, trying each endpoint in order. */
  async resolve(reference: ImageReference | string): Promise<ResolvedImage> {
    const ref = typeof reference === 'string' ? parseReference(reference) : reference;
    const endpoints = this.endpoints(ref);
    let lastError: unknown;
    for (const [i, endpoint] of endpoints.entries()) {
      try {
        const resolved = await this.resolveAt(ref, endpoint);
        return { ...resolved, endpoints: [endpoint, ...endpoints.filter((_, j) => j !== i)] };
      } catch (err) {
        lastError = err;
        if (i < endpoints.length - 1)
          this.options.logger?.info(
            { image: ref.toString(), endpoint: endpoint.host, role: endpoint.role, err: (err as Error).message },
            'endpoint failed, trying the next one',
          );
      }
    }
    throw lastError;
  }

  private async resolveAt(ref: ImageReference, endpoint: Endpoint): Promise<Omit<ResolvedImage, 'endpoints'>> {
    const documents = new Map<string, Buffer>();
    const top = await this.fetchManifest(endpoint, ref.manifestRef, ref);
    documents.set(top.digest, top.bytes);
    let manifestDigest = top.digest;
    let manifest: ImageManifest;
    if (top.doc.kind === 'index') {
      const chosen = selectManifest(top.doc.index.manifests, this.platform);
      if (!chosen) {
        const offered = top.doc.index.manifests.map((m) => (m.platform ? formatPlatform({ variant: '', ...m.platform }) : '?')).join(', ');
        throw new NotFoundError(
          `${ref.toString()} from ${endpoint.host}: no manifest for ${formatPlatform(this.platform)} in the index (it has ${offered || 'none'})`,
        );
      }
      const child = await this.fetchManifest(endpoint, chosen.digest, ref);
      if (child.doc.kind !== 'manifest')
        throw new InternalError(`${ref.toString()} from ${endpoint.host}: index entry ${chosen.digest} is not an image manifest`);
      documents.set(child.digest, child.bytes);
      manifestDigest = child.digest;
      manifest = child.doc.manifest;
    } else {
      manifest = top.doc.manifest;
    }
    const configWhat = `config ${manifest.config.digest} of ${ref.toString()} from ${endpoint.host}`;
    const configBytes = await this.fetchBlobBytes(endpoint, manifest.config, configWhat);
    const config = parseImageConfig(configBytes, configWhat);
    if (config.rootfs.diff_ids.length !== manifest.layers.length) {
      throw new InternalError(`${configWhat}: ${config.rootfs.diff_ids.length} diff_ids for ${manifest.layers.length} layers`);
    }
    documents.set(manifest.config.digest, configBytes);
    return { reference: ref, digest: top.digest, manifestDigest, manifest, configDigest: manifest.config.digest, config, documents };
  }

  private async fetchManifest(endpoint: Endpoint, tagOrDigest: string, ref: ImageReference) {
    const what = `manifest ${endpoint.repository}:${tagOrDigest} of ${ref.toString()} from ${endpoint.host}`;
    const res = await this.request(endpoint, `/v2/${endpoint.repository}/manifests/${tagOrDigest}`, { headers: { accept: manifestAccept } }, what);
    if (!res.ok) throw registryStatusError(what, res.status, await res.errorText());
    const bytes = await res.bytes(maxManifestBytes, what);
    const byDigest = tagOrDigest.includes(':');
    const digest = byDigest ? digestLike(tagOrDigest, bytes) : sha256Digest(bytes);
    if (byDigest && digest !== tagOrDigest) throw new InternalError(`${what}: content has digest ${digest}, rejected`);
    return { digest, bytes, doc: parseManifestDocument(bytes, res.header('content-type') ?? '', what) };
  }

  private async fetchBlobBytes(endpoint: Endpoint, descriptor: Descriptor, what: string): Promise<Buffer> {
    if (descriptor.size > maxConfigBytes) throw new InternalError(`${what}: ${descriptor.size} bytes is more than the ${maxConfigBytes} allowed`);
    const res = await this.request(endpoint, `/v2/${endpoint.repository}/blobs/${descriptor.digest}`, {}, what);
    if (!res.ok) throw registryStatusError(what, res.status, await res.errorText());
    const bytes = await res.bytes(descriptor.size, what);
    const digest = digestLike(descriptor.digest, bytes);
    if (digest !== descriptor.digest) throw new InternalError(`${what}: content has digest ${digest}, rejected`);
    return bytes;
  }

  /**
   * Download a blob to `dest` (created or truncated), verifying size and digest; on any failure
   * the file is removed. Endpoints are tried in the order of `image.endpoints`.
   */
  async downloadBlob(
    image: Pick<ResolvedImage, 'endpoints' | 'reference'>,
    descriptor: Descriptor,
    dest: string,
    onProgress?: ProgressCallback,
  ): Promise<void> {
    parseDigest(descriptor.digest);
    let lastError: unknown;
    for (const [i, endpoint] of image.endpoints.entries()) {
      try {
        await this.downloadFrom(endpoint, descriptor, dest, `blob ${descriptor.digest} of ${image.reference.toString()} from ${endpoint.host}`, onProgress);
        return;
      } catch (err) {
        lastError = err;
        if (i < image.endpoints.length - 1)
          this.options.logger?.info(
            { blob: descriptor.digest, endpoint: endpoint.host, err: (err as Error).message },
            'blob download failed, trying the next endpoint',
          );
      }
    }
    throw lastError;
  }

  private async downloadFrom(endpoint: Endpoint, descriptor: Descriptor, dest: string, what: string, onProgress?: ProgressCallback): Promise<void> {
    const path = `/v2/${endpoint.repository}/blobs/${descriptor.digest}`;
    const file = await open(dest, 'w', 0o600);
    let hash = hasherFor(descriptor.digest);
    let received = 0;
    try {
      for (let attempt = 0; ; attempt++) {
        // After a broken connection, ask for the rest only.
        const res = await this.request(endpoint, path, { headers: received > 0 ? { range: `bytes=${received}-` } : {} }, what);
        if (!res.ok) throw registryStatusError(what, res.status, await res.errorText());
        if (received > 0 && res.status !== 206) {
          received = 0;
          hash = hasherFor(descriptor.digest);
          await file.truncate(0);
        }
        try {
          for await (const chunk of res.chunks()) {
            if (received + chunk.byteLength > descriptor.size)
              throw new InternalError(`${what}: more than the ${descriptor.size} bytes the manifest gives, rejected`);
            hash.update(chunk);
            await file.write(chunk, 0, chunk.byteLength, received);
            received += chunk.byteLength;
            onProgress?.(received, descriptor.size);
          }
          break;
        } catch (err) {
          if (!isTransientError(err) || attempt >= this.options.http.options.retries) throw err;
          this.options.logger?.info({ blob: descriptor.digest, received, err: (err as Error).message }, 'blob download interrupted, resuming');
        }
      }
      if (received !== descriptor.size) throw new InternalError(`${what}: got ${received} of ${descriptor.size} bytes, rejected`);
      const digest = `${parseDigest(descriptor.digest).algorithm}:${hash.digest('hex')}`;
      if (digest !== descriptor.digest) throw new InternalError(`${what}: content has digest ${digest}, rejected`);
      if (descriptor.size === 0) onProgress?.(0, 0);
    } catch (err) {
      await file.close().catch(() => {});
      await rm(dest, { force: true });
      if (err instanceof CriodError || err instanceof DeadlineExceededError) throw err;
      throw new InternalError(`${what}: ${(err as Error).message}`, { cause: err });
    }
    await file.close();
  }
}
