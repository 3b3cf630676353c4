import { beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.js';
import { CriService } from '../service.js';
import type { PullOptions } from '../plugins.js';
import { fakePluginSet, testContainerConfig, type FakePluginSet } from '../testing/index.js';
import type { ContainerRecord, ImageRecord, RegistryAuth } from '../types.js';
import { ImageOperations } from './index.js';

const pause = 'registry.k8s.io/pause:3.10';

function image(id: string, tags: string[]): ImageRecord {
  return {
    id: id.repeat(64 / id.length),
    repoTags: tags,
    repoDigests: tags.map((t) => `${t.split(':')[0]}@sha256:${'0'.repeat(64)}`),
    size: 100,
    username: '',
    pinned: false,
    config: { entrypoint: [], cmd: ['sh'], env: [], workingDir: '', user: '', stopSignal: '', volumes: [], labels: {} },
  };
}

function container(id: string, imageId: string): ContainerRecord {
  const config = testContainerConfig(`ctr-${id}`);
  return {
    id,
    podId: 'p',
    name: `ctr-${id}`,
    attempt: 0,
    state: 'running',
    createdAt: 0n,
    startedAt: 0n,
    finishedAt: 0n,
    exitCode: 0,
    reason: '',
    message: '',
    image: config.image,
    imageRef: `sha256:${imageId}`,
    imageId,
    labels: {},
    annotations: {},
    logPath: '',
    config,
    stopSignal: 'SIGTERM',
    user: { uid: 0, gid: 0, additionalGids: [] },
  };
}

let plugins: FakePluginSet;
let images: ImageOperations;
const app = image('a', ['example.test/app:v1']);
const pauseImage = image('b', [pause]);

beforeEach(() => {
  plugins = fakePluginSet();
  plugins.images.registry.set('example.test/app:v1', app);
  plugins.images.registry.set(pause, pauseImage);
  images = new CriService(plugins, silentLogger, {
    runtimeVersion: 't',
    runroot: '/nonexistent',
    pauseImage: pause,
    registries: { 'example.test': { location: '', insecure: true, mirrors: [] } },
  }).images;
});

describe('PullImage', () => {
  it('pulls through the store with the registries config and the auth', async () => {
    const seen: PullOptions[] = [];
    const pull = plugins.images.pull.bind(plugins.images);
    plugins.images.pull = (ref, options) => {
      seen.push(options);
      return pull(ref, options);
    };
    const auth: RegistryAuth = { username: 'u', password: 'p', auth: '', serverAddress: 'example.test', identityToken: '', registryToken: '' };
    expect(await images.pull('example.test/app:v1', auth)).toEqual(app);
    expect(seen).toEqual([{ registries: { 'example.test': { location: '', insecure: true, mirrors: [] } }, auth, pinned: false }]);
    expect(ImageOperations.criImageId(app.id)).toBe(`sha256:${app.id}`);
  });

  it('pins the pause image', async () => {
    expect((await images.pull(pause)).pinned).toBe(true);
    expect((await images.pull('example.test/app:v1')).pinned).toBe(false);
  });

  it('refuses an empty reference and passes the store errors on', async () => {
    await expect(images.pull(' ')).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(images.pull('example.test/absent:v1')).rejects.toMatchObject({ code: 'NotFound' });
  });
});

describe('ImageStatus', () => {
  it('answers no image, not an error, for an absent one', async () => {
    expect(await images.status('example.test/app:v1', true)).toEqual({ info: {} });
  });

  it('answers the image, with the config as JSON when verbose', async () => {
    await images.pull('example.test/app:v1');
    expect(await images.status(app.id, false)).toEqual({ image: app, info: {} });
    const verbose = await images.status('example.test/app:v1', true);
    expect(JSON.parse(verbose.info.info!)).toMatchObject({ id: `sha256:${app.id}`, repoTags: app.repoTags, config: { cmd: ['sh'] } });
  });

  it('shows the pause image pinned however it was pulled', async () => {
    await plugins.images.pull(pause, { registries: {} });
    expect((await images.status(pause, false)).image?.pinned).toBe(true);
    expect((await images.list()).find((i) => i.id === pauseImage.id)?.pinned).toBe(true);
  });
});

describe('ListImages', () => {
  it('lists every image, or the one a filter names', async () => {
    await images.pull('example.test/app:v1');
    await images.pull(pause);
    expect((await images.list()).map((i) => i.id).sort()).toEqual([app.id, pauseImage.id].sort());
    expect((await images.list('example.test/app:v1')).map((i) => i.id)).toEqual([app.id]);
    expect(await images.list('example.test/other:v1')).toEqual([]);
  });
});

describe('RemoveImage', () => {
  it('removes by tag or id; an absent image is success', async () => {
    await images.pull('example.test/app:v1');
    await images.remove('example.test/app:v1');
    expect(await images.list()).toEqual([]);
    await images.remove('example.test/app:v1');
    await images.remove(app.id);
  });

  it('keeps an image a container uses, naming the container', async () => {
    await images.pull('example.test/app:v1');
    await plugins.records.containers.put(container('c1', app.id));
    await expect(images.remove('example.test/app:v1')).rejects.toMatchObject({
      code: 'FailedPrecondition',
      message: expect.stringContaining('container c1 (ctr-c1)'),
    });
    await expect(images.remove(app.id)).rejects.toMatchObject({ code: 'FailedPrecondition' });
    await plugins.records.containers.delete('c1');
    await images.remove(app.id);
    expect(await images.list()).toEqual([]);
  });

  it('keeps the pinned pause image', async () => {
    await images.pull(pause);
    await expect(images.remove(pause)).rejects.toMatchObject({ code: 'FailedPrecondition', message: expect.stringContaining('pinned') });
  });
});

describe('ImageFsInfo', () => {
  it('reports the image store for images and container layers', async () => {
    const info = await images.fsInfo();
    expect(info.imageFilesystems).toEqual([{ mountpoint: '/fake/images', timestamp: 0n, usedBytes: 0, inodesUsed: 0 }]);
    expect(info.containerFilesystems).toEqual(info.imageFilesystems);
  });
});
