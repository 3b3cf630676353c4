import { status as GrpcStatus, type ClientReadableStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CriService } from '@criod/core';
import { testContainerConfig, testImage, testPodConfig, type FakePluginSet } from '@criod/core/testing';
import { type CriClient } from './client.js';
import { PodSandboxState, type ContainerFilter, type PodSandboxFilter } from './gen/runtime/v1/api.js';
import { chunks, type RpcObserver } from './handler.js';
import { startTestServer, type TestServer } from './__tests__/test-server.js';
import { maxMessageBytes } from './server.js';

let server: TestServer;
let client: CriClient;
let plugins: FakePluginSet;
let core: CriService;
const observed: { rpc: string; code: GrpcStatus; seconds: number }[] = [];
const observe: RpcObserver = (rpc, code, seconds) => observed.push({ rpc, code, seconds });

beforeAll(async () => {
  server = await startTestServer('streams', { observe, client: { maxReceiveMessageBytes: 4 * maxMessageBytes } });
  ({ client, plugins, core } = server);
});

afterAll(() => server.close());

/** Every message of a server stream, in order. */
function collect<T>(stream: ClientReadableStream<T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const messages: T[] = [];
    stream.on('data', (m: T) => messages.push(m));
    stream.on('error', reject);
    stream.on('end', () => resolve(messages));
  });
}

describe('Stream* list calls', () => {
  it('answer what the unary list calls answer for the same filter', async () => {
    plugins.images.images.set(testImage().id, testImage());
    const a = await core.runPodSandbox(testPodConfig('a'), '');
    const b = await core.runPodSandbox(testPodConfig('b'), '');
    const ca = await core.createContainer(a, testContainerConfig('one'));
    await core.startContainer(ca);
    await core.createContainer(b, testContainerConfig('two'));
    await core.stopPodSandbox(b);
    const rt = client.raw.runtime;
    try {
      const podFilters: (PodSandboxFilter | undefined)[] = [
        undefined,
        { id: '', state: { state: PodSandboxState.SANDBOX_READY }, labelSelector: {} },
        { id: b.slice(0, 8), state: undefined, labelSelector: { app: 'b' } },
      ];
      for (const filter of podFilters) {
        const unary = (await client.runtime.listPodSandbox({ filter })).items;
        const streamed = (await collect(rt.streamPodSandboxes({ filter }))).flatMap((m) => m.podSandboxes);
        expect(streamed).toEqual(unary);
      }
      const containerFilter: ContainerFilter = { id: '', state: undefined, podSandboxId: a, labelSelector: {} };
      for (const filter of [undefined, containerFilter]) {
        expect((await collect(rt.streamContainers({ filter }))).flatMap((m) => m.containers)).toEqual(
          (await client.runtime.listContainers({ filter })).containers,
        );
      }
      const statsOf = (list: { attributes?: { id: string } | undefined }[]) => list.map((s) => s.attributes?.id);
      expect(statsOf((await collect(rt.streamContainerStats({ filter: undefined }))).flatMap((m) => m.containerStats))).toEqual(
        statsOf((await client.runtime.listContainerStats({ filter: undefined })).stats),
      );
      expect(statsOf((await collect(rt.streamPodSandboxStats({ filter: undefined }))).flatMap((m) => m.podSandboxStats))).toEqual(
        statsOf((await client.runtime.listPodSandboxStats({ filter: undefined })).stats),
      );
      expect((await collect(client.raw.image.streamImages({ filter: undefined }))).flatMap((m) => m.images)).toEqual(
        (await client.image.listImages({ filter: undefined })).images,
      );
    } finally {
      for (const id of [a, b]) await core.removePodSandbox(id);
    }
  });

  it('send a list larger than one gRPC message whole, in chunks', async () => {
    const big = 'x'.repeat(900 * 1024);
    const ids: string[] = [];
    try {
      for (let i = 0; i < 20; i++) ids.push(await core.runPodSandbox(testPodConfig(`big${i}`, { annotations: { big } }), ''));
      // The unary answer no longer fits in one message.
      await expect(client.runtime.listPodSandbox({ filter: undefined })).rejects.toMatchObject({ code: GrpcStatus.RESOURCE_EXHAUSTED });
      const messages = await collect(client.raw.runtime.streamPodSandboxes({ filter: undefined }));
      expect(messages.length).toBeGreaterThan(1);
      expect(messages.flatMap((m) => m.podSandboxes.map((p) => p.id))).toEqual(core.listPodSandbox().map((p) => p.id));
      expect(messages.flatMap((m) => m.podSandboxes).every((p) => p.annotations.big === big)).toBe(true);
    } finally {
      for (const id of ids) await core.removePodSandbox(id);
    }
  }, 60_000);

  it('chunk by encoded size and by item count, an oversized item going alone', () => {
    const sizes = [10, 10, 10, 50, 10, 10, 10, 10];
    expect(chunks(sizes, (n) => n, { maxBytes: 40, maxItems: 3 })).toEqual([[10, 10], [10], [50], [10, 10], [10, 10]]);
    expect(chunks([], (n: number) => n, { maxBytes: 40, maxItems: 3 })).toEqual([]);
  });
});

describe('RPC observer', () => {
  it('is told of unary calls, failures and streams with their codes', async () => {
    observed.length = 0;
    await client.runtime.version({ version: '0.1.0' });
    await expect(client.runtime.podSandboxStatus({ podSandboxId: 'nope', verbose: false })).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
    await expect(
      client.runtime.exec({ containerId: 'x', cmd: ['sh'], tty: false, stdin: false, stdout: true, stderr: false, auditRequestId: '' }),
    ).rejects.toMatchObject({ code: GrpcStatus.UNIMPLEMENTED });
    await collect(client.raw.runtime.streamContainers({ filter: undefined }));
    expect(observed.map(({ rpc, code }) => ({ rpc, code }))).toEqual([
      { rpc: 'Version', code: GrpcStatus.OK },
      { rpc: 'PodSandboxStatus', code: GrpcStatus.NOT_FOUND },
      { rpc: 'Exec', code: GrpcStatus.UNIMPLEMENTED },
      { rpc: 'StreamContainers', code: GrpcStatus.OK },
    ]);
    expect(observed.every((o) => o.seconds >= 0 && o.seconds < 5)).toBe(true);
  });
});

describe('UpdateRuntimeConfig', () => {
  it('records the pod CIDR, shows it in verbose Status, and refuses one that is not a CIDR', async () => {
    await client.runtime.updateRuntimeConfig({ runtimeConfig: { networkConfig: { podCidr: '10.244.3.0/24' } } });
    expect(JSON.parse((await client.runtime.status({ verbose: true })).info.runtimeConfig ?? '{}')).toEqual({ podCidr: '10.244.3.0/24' });
    await client.runtime.updateRuntimeConfig({ runtimeConfig: { networkConfig: { podCidr: '' } } });
    expect(core.ctx.state.podCidr).toBe('10.244.3.0/24');
    await expect(client.runtime.updateRuntimeConfig({ runtimeConfig: { networkConfig: { podCidr: 'ten/24' } } })).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
    });
  });
});
