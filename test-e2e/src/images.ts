/**
 * A local registry for the tests (Debian's docker-registry on 127.0.0.1) serving a busybox image
 * the tests build themselves from busybox-static.
 */
import { buildImage, buildLayer, busyboxEntries, push, startRegistry, type TestRegistry } from '@criod/image-registry/testing';

/** The applets container tests run. */
export const busyboxApplets = [
  'sh', 'ls', 'cat', 'echo', 'sleep', 'id', 'stat', 'true', 'false', 'env', 'dd', 'head', 'kill', 'mkdir', 'touch', 'grep',
  'hostname', 'unshare', 'ps', 'nc', 'httpd', 'stty', 'tr', 'wc', 'yes', 'seq', 'rm', 'mount', 'cut', 'printf', 'test',
];

export interface TestImages {
  registry: TestRegistry;
  /** Reference of the busybox image, e.g. 127.0.0.1:5000/e2e/busybox:latest */
  busybox: string;
  /** A pause image (busybox sleeping forever), for pods that share one PID namespace. */
  pause: string;
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
    return { registry, busybox: `${registry.host}/e2e/busybox:latest`, pause: `${registry.host}/e2e/pause:1`, stop: () => registry.stop() };
  } catch (err) {
    await registry.stop();
    throw err;
  }
}
