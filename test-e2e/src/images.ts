/**
 * A local registry for the tests (Debian's docker-registry on 127.0.0.1) serving a busybox image
 * the tests build themselves from busybox-static.
 */
import { buildImage, buildLayer, busyboxEntries, push, startRegistry, type TestRegistry } from '@criod/image-registry/testing';

/** The applets container tests run. */
export const busyboxApplets = [
  'sh',
  'ls',
  'cat',
  'echo',
  'sleep',
  'id',
  'stat',
  'true',
  'false',
  'env',
  'dd',
  'head',
  'kill',
  'mkdir',
  'touch',
  'grep',
  'hostname',
  'unshare',
  'ps',
  'nc',
  'httpd',
  'stty',
  'tr',
  'wc',
  'yes',
  'seq',
  'rm',
  'mount',
  'cut',
  'printf',
  'test',
];

export interface TestImages {
  registry: TestRegistry;
  /** Reference of the busybox image, e.g. 127.0.0.1:5000/e2e/busybox:latest */
  busybox: string;
  /** A pause image (busybox sleeping forever), for pods that share one PID namespace. */
  pause: string;
  /**
   * Two layers over busybox: the first adds /data/old.txt, /data/replaced.txt ("v1") and
   * /opaque/stale.txt; the second deletes old.txt (whiteout), replaces replaced.txt ("v2") and
   * makes /opaque opaque with /opaque/fresh.txt.
   */
  layered: string;
  stop(): Promise<void>;
}

export async function startTestImages(): Promise<TestImages> {
  const registry = await startRegistry();
  try {
    const layer = await buildLayer(await busyboxEntries(busyboxApplets));
    const image = buildImage({ layers: [layer], config: { Cmd: ['sh'], Env: ['PATH=/bin'] } });
    await push({ host: registry.host, repository: 'e2e/busybox', tag: 'latest' }, image);
    const pause = buildImage({ layers: [layer], config: { Entrypoint: ['sleep', '2147483647'], Env: ['PATH=/bin'] } });
    await push({ host: registry.host, repository: 'e2e/pause', tag: '1' }, pause);
    const text = (t: string) => Buffer.from(`${t}\n`);
    const first = await buildLayer([
      { path: 'data', type: 'dir', mode: 0o755 },
      { path: 'data/old.txt', type: 'file', content: text('old') },
      { path: 'data/replaced.txt', type: 'file', content: text('v1') },
      { path: 'opaque', type: 'dir', mode: 0o755 },
      { path: 'opaque/stale.txt', type: 'file', content: text('stale') },
    ]);
    const second = await buildLayer(
      [
        { type: 'whiteout', path: 'data/old.txt' },
        { path: 'data/replaced.txt', type: 'file', content: text('v2') },
        { type: 'opaque', path: 'opaque' },
        { path: 'opaque/fresh.txt', type: 'file', content: text('fresh') },
      ],
      'zstd',
    );
    const layered = buildImage({ layers: [layer, first, second], config: { Cmd: ['sh'], Env: ['PATH=/bin'] } });
    await push({ host: registry.host, repository: 'e2e/layered', tag: '1' }, layered);
    return {
      registry,
      busybox: `${registry.host}/e2e/busybox:latest`,
      pause: `${registry.host}/e2e/pause:1`,
      layered: `${registry.host}/e2e/layered:1`,
      stop: () => registry.stop(),
    };
  } catch (err) {
    await registry.stop();
    throw err;
  }
}
