import { CriService, silentLogger, type ImageRecord, type PullOptions } from '@criod/core';
import { fakePluginSet, type FakePluginSet } from '@criod/core/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { imageHandlers } from './index.js';

const img: ImageRecord = {
  id: 'c'.repeat(64),
  repoTags: ['example.test/app:v1'],
  repoDigests: [`example.test/app@sha256:${'d'.repeat(64)}`],
  size: 1234,
  uid: 1000,
  username: '',
  pinned: false,
  config: { entrypoint: [], cmd: [], env: [], workingDir: '', user: '1000', stopSignal: '', volumes: [], labels: {} },
};

let plugins: FakePluginSet;
let h: ReturnType<typeof imageHandlers>;
const spec = (image: string) => ({ image, annotations: {}, userSpecifiedImage: '', runtimeHandler: '', imageRef: '' });

beforeEach(() => {
  plugins = fakePluginSet();
  plugins.images.registry.set('example.test/app:v1', img);
  h = imageHandlers(new CriService(plugins, silentLogger, { runtimeVersion: 't', runroot: '/nonexistent' }));
});

describe('image handlers', () => {
  it('answer PullImage with the sha256: id and pass the AuthConfig on', async () => {
    const seen: PullOptions[] = [];
    const pull = plugins.images.pull.bind(plugins.images);
    plugins.images.pull = (ref, options) => (seen.push(options), pull(ref, options));
    const auth = { username: 'u', password: 'p', auth: '', serverAddress: 'example.test', identityToken: '', registryToken: 'rt' };
    expect(await h.pullImage!({ image: spec('example.test/app:v1'), auth, sandboxConfig: undefined })).toEqual({ imageRef: `sha256:${img.id}` });
    expect(seen[0]?.auth).toEqual(auth);
  });

  it('map an image to the CRI Image message and an absent one to no image', async () => {
    expect(await h.imageStatus!({ image: spec('example.test/app:v1'), verbose: false })).toEqual({ image: undefined, info: {} });
    await plugins.images.pull('example.test/app:v1', { registries: {} });
    const want = {
      id: `sha256:${img.id}`,
      repoTags: img.repoTags,
      repoDigests: img.repoDigests,
      size: 1234n,
      uid: { value: 1000n },
      username: '',
      spec: undefined,
      pinned: false,
    };
    expect(await h.imageStatus!({ image: spec(img.id), verbose: false })).toEqual({ image: want, info: {} });
    expect(await h.listImages!({ filter: undefined })).toEqual({ images: [want] });
    expect(await h.listImages!({ filter: { image: spec('example.test/none:v1') } })).toEqual({ images: [] });
    expect(await h.removeImage!({ image: spec(`sha256:${img.id}`) })).toEqual({});
  });

  it('answer ImageFsInfo with image and container filesystems', async () => {
    const usage = { timestamp: 0n, fsId: { mountpoint: '/fake/images' }, usedBytes: { value: 0n }, inodesUsed: { value: 0n } };
    expect(await h.imageFsInfo!({})).toEqual({ imageFilesystems: [usage], containerFilesystems: [usage] });
  });

  it('refuse a request without an image', async () => {
    await expect(h.pullImage!({ image: undefined, auth: undefined, sandboxConfig: undefined })).rejects.toMatchObject({ code: 'InvalidArgument' });
  });
});
