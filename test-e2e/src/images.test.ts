/** The ImageService through a real criod, pulling from a real local registry. */
import { join } from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { buildImage, buildLayer, busyboxEntries, push, startRegistry, type BuiltImage, type TestRegistry } from '@criod/image-registry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCriod, type CriodInstance } from './harness.js';

let registry: TestRegistry;
let criod: CriodInstance;
let busybox: BuiltImage;

const spec = (image: string) => ({ image, annotations: {}, userSpecifiedImage: '', runtimeHandler: '', imageRef: '' });

beforeAll(async () => {
  registry = await startRegistry();
  const base = await buildLayer(await busyboxEntries());
  const extra = await buildLayer([{ path: 'hello', type: 'file', content: Buffer.from('hello\n') }], 'zstd');
  busybox = buildImage({ layers: [base, extra], config: { Cmd: ['sh'], User: '1000' } });
  await push({ host: registry.host, repository: 'e2e/busybox', tag: 'v1' }, busybox);
  criod = await startCriod({ config: { image: { registries: { [registry.host]: { insecure: true } } } } });
}, 60_000);

afterAll(async () => {
  await criod?.cleanup();
  await registry?.stop();
});

describe('ImageService', () => {
  const ref = () => `${registry.host}/e2e/busybox:v1`;
  const id = () => `sha256:${busybox.config.digest.slice('sha256:'.length)}`;

  it('pulls an image and reports it in ImageStatus and ListImages', async () => {
    const pulled = await criod.client.image.pullImage({ image: spec(ref()), auth: undefined, sandboxConfig: undefined });
    expect(pulled.imageRef).toBe(id());

    const st = await criod.client.image.imageStatus({ image: spec(ref()), verbose: true });
    expect(st.image).toMatchObject({
      id: id(),
      repoTags: [ref()],
      repoDigests: [`${registry.host}/e2e/busybox@${busybox.digest}`],
      uid: { value: 1000n },
      username: '',
      pinned: false,
    });
    expect(st.image?.size).toBe(BigInt(busybox.config.size + busybox.layers.reduce((s, l) => s + l.size, 0)));
    expect(JSON.parse(st.info.info ?? '{}')).toMatchObject({ id: id(), config: { cmd: ['sh'] } });
    // By id and by a unique id prefix too.
    expect((await criod.client.image.imageStatus({ image: spec(id()), verbose: false })).image?.id).toBe(id());
    expect((await criod.client.image.imageStatus({ image: spec(id().slice(7, 19)), verbose: false })).image?.id).toBe(id());

    const all = await criod.client.image.listImages({ filter: undefined });
    expect(all.images.map((i) => i.id)).toEqual([id()]);
    const filtered = await criod.client.image.listImages({ filter: { image: spec(ref()) } });
    expect(filtered.images.map((i) => i.id)).toEqual([id()]);
    expect((await criod.client.image.listImages({ filter: { image: spec(`${registry.host}/e2e/other:v1`) } })).images).toEqual([]);
  });

  it('answers ImageStatus without an image for an absent one', async () => {
    const st = await criod.client.image.imageStatus({ image: spec(`${registry.host}/e2e/busybox:absent`), verbose: false });
    expect(st.image).toBeUndefined();
  });

  it('reports the image store in ImageFsInfo', async () => {
    await criod.client.image.pullImage({ image: spec(ref()), auth: undefined, sandboxConfig: undefined });
    const fs = await criod.client.image.imageFsInfo({});
    expect(fs.imageFilesystems).toHaveLength(1);
    const [usage] = fs.imageFilesystems;
    expect(usage?.fsId?.mountpoint).toBe(join(criod.dir, 'root', 'images'));
    expect(usage?.usedBytes?.value).toBeGreaterThan(500_000n); // busybox-static is in there
    expect(usage?.inodesUsed?.value).toBeGreaterThan(10n);
    expect(usage?.timestamp).toBeGreaterThan(0n);
    expect(fs.containerFilesystems).toEqual(fs.imageFilesystems);
  });

  it('removes an image by tag; removing it again is not an error', async () => {
    await criod.client.image.pullImage({ image: spec(ref()), auth: undefined, sandboxConfig: undefined });
    await criod.client.image.removeImage({ image: spec(ref()) });
    expect((await criod.client.image.imageStatus({ image: spec(id()), verbose: false })).image).toBeUndefined();
    await criod.client.image.removeImage({ image: spec(ref()) });
    const fs = await criod.client.image.imageFsInfo({});
    expect(fs.imageFilesystems[0]?.usedBytes?.value).toBeLessThan(500_000n);
  });

  it('answers INVALID_ARGUMENT for a malformed reference', async () => {
    await expect(
      criod.client.image.pullImage({ image: spec(`${registry.host}/E2E/Busybox:v1`), auth: undefined, sandboxConfig: undefined }),
    ).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: expect.stringContaining('must be lowercase'),
    });
    await expect(criod.client.image.pullImage({ image: spec(''), auth: undefined, sandboxConfig: undefined })).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
    });
  });

  it('answers NOT_FOUND with the registry message for an unknown tag', async () => {
    await expect(
      criod.client.image.pullImage({ image: spec(`${registry.host}/e2e/busybox:nope`), auth: undefined, sandboxConfig: undefined }),
    ).rejects.toMatchObject({
      code: GrpcStatus.NOT_FOUND,
      details: expect.stringContaining('MANIFEST_UNKNOWN: manifest unknown'),
    });
  });
});
