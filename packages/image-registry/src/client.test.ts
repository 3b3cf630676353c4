import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RegistryClient } from './client.js';
import { RegistryHttp } from './http.js';
import { mediaTypes } from './media-types.js';
import {
  buildImage,
  buildIndex,
  buildLayer,
  busyboxEntries,
  freePort,
  push,
  startRegistry,
  startStaticRegistry,
  type BuiltImage,
  type TestHttpServer,
  type TestRegistry,
} from './testing/index.js';

let registry: TestRegistry;
let busybox: BuiltImage;
let dir: string;
let http: RegistryHttp;

beforeAll(async () => {
  registry = await startRegistry();
  const base = await buildLayer(await busyboxEntries());
  const app = await buildLayer(
    [
      { path: 'app', type: 'dir' },
      { path: 'app/hello', type: 'file', content: Buffer.from('hello\n') },
    ],
    'zstd',
  );
  busybox = buildImage({ layers: [base, app], config: { Cmd: ['sh'], Env: ['PATH=/bin'] } });
  await push({ host: registry.host, repository: 'test/busybox', tag: 'v1' }, busybox);
}, 60_000);

afterAll(async () => {
  await registry?.stop();
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'criod-client-'));
  http = new RegistryHttp({ retries: 1, retryBaseDelayMs: 20 });
});

afterEach(async () => {
  try {
    await http.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const client = (extra: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}) => new RegistryClient({ http, ...extra });

describe('RegistryClient against docker-registry', () => {
  it('resolves a tag to its manifest and config', async () => {
    const img = await client().resolve(`${registry.host}/test/busybox:v1`);
    expect(img.digest).toBe(busybox.digest);
    expect(img.manifestDigest).toBe(busybox.digest);
    expect(img.configDigest).toBe(busybox.config.digest);
    expect(img.config.config.Cmd).toEqual(['sh']);
    expect(img.manifest.layers.map((l) => l.digest)).toEqual(busybox.layers.map((l) => l.digest));
    expect([...img.documents.keys()].sort()).toEqual([busybox.digest, busybox.config.digest].sort());
    expect(img.endpoints[0]).toMatchObject({ host: registry.host, repository: 'test/busybox' });
  });

  it('resolves a digest reference', async () => {
    const img = await client().resolve(`${registry.host}/test/busybox@${busybox.digest}`);
    expect(img.configDigest).toBe(busybox.config.digest);
  });

  it('picks linux/amd64 from an index and keeps the index digest as the repo digest', async () => {
    const other = buildImage({
      layers: [await buildLayer([{ path: 'arm', type: 'file', content: Buffer.from('arm') }])],
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    });
    for (const format of ['oci', 'docker'] as const) {
      const base = busybox.layers[0]!;
      const amd = buildImage({
        layers: [{ ...base, mediaType: format === 'oci' ? base.mediaType : mediaTypes.dockerLayerGzip }],
        config: { Cmd: [format] },
        format,
      });
      const index = buildIndex(
        [
          { image: other, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
          { image: amd, platform: { os: 'linux', architecture: 'amd64' } },
        ],
        format,
      );
      await push({ host: registry.host, repository: 'test/multi', tag: format }, index);
      const img = await client().resolve(`${registry.host}/test/multi:${format}`);
      expect(img.digest).toBe(index.digest);
      expect(img.manifestDigest).toBe(amd.digest);
      expect(img.config.config.Cmd).toEqual([format]);
      expect(img.documents.has(index.digest)).toBe(true);
    }
  });

  it('answers NotFound with the registry message for an unknown tag or repository', async () => {
    await expect(client().resolve(`${registry.host}/test/busybox:nope`)).rejects.toMatchObject({
      code: 'NotFound',
      message: expect.stringContaining('MANIFEST_UNKNOWN: manifest unknown'),
    });
    await expect(client().resolve(`${registry.host}/test/absent:v1`)).rejects.toMatchObject({
      code: 'NotFound',
      message: expect.stringMatching(/NAME_UNKNOWN|MANIFEST_UNKNOWN/),
    });
  });

  it('refuses a malformed reference before any request', async () => {
    await expect(client().resolve(`${registry.host}/Test:v1`)).rejects.toMatchObject({ code: 'InvalidArgument' });
  });

  it('downloads a blob verifying its digest and reports progress', async () => {
    const c = client();
    const img = await c.resolve(`${registry.host}/test/busybox:v1`);
    const layer = img.manifest.layers[0]!;
    const progress: [number, number][] = [];
    await c.downloadBlob(img, layer, join(dir, 'blob'), (r, t) => progress.push([r, t]));
    const data = await readFile(join(dir, 'blob'));
    expect(`sha256:${createHash('sha256').update(data).digest('hex')}`).toBe(layer.digest);
    expect(progress.at(-1)).toEqual([layer.size, layer.size]);
  });

  it('rejects a blob whose content does not match its digest and leaves no file', async () => {
    const tampered = await buildLayer([{ path: 'x', type: 'file', content: Buffer.from('original') }]);
    const img = buildImage({ layers: [tampered] });
    await push({ host: registry.host, repository: 'test/tampered', tag: 'v1' }, img);
    const stored = await readFile(registry.blobDataPath(tampered.digest));
    stored.writeUInt8(stored.readUInt8(stored.length - 10) ^ 0xff, stored.length - 10);
    await writeFile(registry.blobDataPath(tampered.digest), stored);
    const c = client();
    const resolved = await c.resolve(`${registry.host}/test/tampered:v1`);
    await expect(c.downloadBlob(resolved, resolved.manifest.layers[0]!, join(dir, 'blob'))).rejects.toMatchObject({
      code: 'Internal',
      message: expect.stringContaining('rejected'),
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('fails fast and clearly when the registry is unreachable', async () => {
    const port = await freePort();
    const started = Date.now();
    await expect(client().resolve(`127.0.0.1:${port}/test/busybox:v1`)).rejects.toMatchObject({
      code: 'Internal',
      message: expect.stringMatching(/cannot reach 127\.0\.0\.1:\d+: .*ECONNREFUSED/),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('falls back from a mirror without the image to the registry', async () => {
    const mirror = await startRegistry();
    try {
      const c = client({ registries: { 'reg.invalid': { location: '', insecure: false, mirrors: [`${mirror.host}/hub`, `${registry.host}/test`] } } });
      const img = await c.resolve('reg.invalid/busybox:v1');
      expect(img.endpoints.map((e) => e.host)).toEqual([registry.host, mirror.host, 'reg.invalid']);
      expect(img.configDigest).toBe(busybox.config.digest);
    } finally {
      await mirror.stop();
    }
  });

  it('pulls a remapped prefix from its location only', async () => {
    const c = client({ registries: { 'quay.invalid/team': { location: `${registry.host}/test`, insecure: false, mirrors: [] } } });
    expect((await c.resolve('quay.invalid/team/busybox:v1')).endpoints).toEqual([
      { host: registry.host, repository: 'test/busybox', insecure: true, role: 'location' },
    ]);
    await expect(c.resolve('quay.invalid/team/other:v1')).rejects.toMatchObject({ code: 'NotFound' });
  });
});

describe('RegistryClient against misbehaving servers', () => {
  let server: TestHttpServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('fails a download that stalls after the headers within the no-progress time', async () => {
    const layer = busybox.layers[0]!;
    server = await startStaticRegistry({
      repository: 'stall/app',
      tag: 'v1',
      image: busybox,
      hook: ({ ref, data }, _req, res) => {
        if (ref !== layer.digest || !data) return false;
        res.writeHead(200, { 'content-length': data.byteLength });
        res.write(data.subarray(0, 1000));
        return true; // and never another byte
      },
    });
    const stalling = new RegistryHttp({ noProgressTimeoutMs: 400, retries: 0 });
    try {
      const c = new RegistryClient({ http: stalling });
      const img = await c.resolve(`${server.host}/stall/app:v1`);
      const started = Date.now();
      await expect(c.downloadBlob(img, layer, join(dir, 'blob'))).rejects.toMatchObject({
        code: 'DeadlineExceeded',
        message: expect.stringContaining('no progress for 400 ms'),
      });
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await stalling.close();
    }
  });

  it('fails a request whose answer never starts within the no-progress time', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const stalling = new RegistryHttp({ noProgressTimeoutMs: 300, retries: 2 });
    try {
      const started = Date.now();
      await expect(new RegistryClient({ http: stalling }).resolve(`127.0.0.1:${port}/x/y:v1`)).rejects.toMatchObject({ code: 'DeadlineExceeded' });
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      await stalling.close();
      silent.close();
    }
  });

  it('retries transient 503 answers and resumes a broken download with a range request', async () => {
    let unavailable = 2;
    let broken = false;
    const layer = busybox.layers[0]!;
    server = await startStaticRegistry({
      repository: 'flaky/app',
      tag: 'v1',
      image: busybox,
      hook: ({ kind, ref, data }, req, res) => {
        if (kind === 'manifest' && unavailable > 0) {
          unavailable--;
          res.writeHead(503, { 'retry-after': '0' });
          res.end();
          return true;
        }
        if (ref !== layer.digest || !data) return false;
        if (!broken) {
          broken = true;
          res.writeHead(200, { 'content-length': data.byteLength });
          res.write(data.subarray(0, 4096), () => res.destroy());
          return true;
        }
        const start = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
        res.writeHead(206, { 'content-length': data.byteLength - start, 'content-range': `bytes ${start}-${data.byteLength - 1}/${data.byteLength}` });
        res.end(data.subarray(start));
        return true;
      },
    });
    const patient = new RegistryHttp({ retries: 3, retryBaseDelayMs: 10 });
    try {
      const c = new RegistryClient({ http: patient });
      const img = await c.resolve(`${server.host}/flaky/app:v1`);
      expect(img.configDigest).toBe(busybox.config.digest);
      expect(server.requests.filter((r) => r.path.includes('/manifests/')).length).toBe(3);
      await c.downloadBlob(img, layer, join(dir, 'blob'));
      expect(server.requests.filter((r) => r.path.endsWith(layer.digest)).length).toBe(2);
      expect(
        createHash('sha256')
          .update(await readFile(join(dir, 'blob')))
          .digest('hex'),
      ).toBe(layer.digest.slice(7));
    } finally {
      await patient.close();
    }
  });

  it('refuses a manifest whose content does not match the digest asked for', async () => {
    const other = `sha256:${'0'.repeat(64)}`;
    server = await startStaticRegistry({
      repository: 'lie/app',
      tag: 'v1',
      image: busybox,
      hook: ({ kind, ref }, _req, res) => {
        if (kind !== 'manifest' || ref !== other) return false;
        res.writeHead(200, { 'content-type': busybox.mediaType });
        res.end(busybox.manifest);
        return true;
      },
    });
    await expect(client().resolve(`${server.host}/lie/app@${other}`)).rejects.toMatchObject({
      code: 'Internal',
      message: expect.stringContaining(`content has digest ${busybox.digest}, rejected`),
    });
  });
});
