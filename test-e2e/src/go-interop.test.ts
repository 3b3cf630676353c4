/**
 * Go interop: grpc-go, the library kubelet, crictl and critest are built on, against a real
 * criod, dialing its socket in each of the ways those clients do. `path` is how kubelet and
 * crictl 1.26–1.30 dial (a custom unix dialer on the bare socket path, which grpc-go then sends
 * as the HTTP/2 :authority); `path-localhost` adds WithAuthority("localhost") as kubelet 1.31+
 * does; `unix` hands grpc-go a unix:// target. Requests and responses are the generated ts-proto
 * types; the Go client (go-interop/cri-go-client) only moves their bytes.
 */
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { cri } from '@criod/cri-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerConfig } from './containers.js';
import { buildGoClient, GoCriClient, type GoDialMode } from './go-client.js';
import { waitFor } from './harness.js';
import { startTestImages, type TestImages } from './images.js';
import { startPodFixture, type PodFixture } from './pod-fixture.js';

const RuntimeService = cri.RuntimeServiceService;
const ImageService = cri.ImageServiceService;
const modes: GoDialMode[] = ['path', 'path-localhost', 'unix'];

let buildDir: string | undefined;
let goClientBin: string;
let images: TestImages | undefined;
let fx: PodFixture;
let setupError: unknown;

beforeAll(async () => {
  try {
    buildDir = mkdtempSync(join(tmpdir(), 'criod-e2e-go-'));
    goClientBin = await buildGoClient(buildDir);
    images = await startTestImages();
    fx = await startPodFixture(images);
  } catch (err) {
    // Every test fails with it (a failing beforeAll would only mark them skipped), e.g. a
    // missing Go toolchain: CI must not pass without this suite having run.
    setupError = err;
  }
}, 180_000);

afterAll(async () => {
  await fx?.cleanup();
  await images?.stop();
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
});

describe.each(modes)('grpc-go dialing criod (%s)', (mode) => {
  let go: GoCriClient | undefined;
  const client = () => {
    if (setupError) throw setupError;
    go ??= GoCriClient.start(goClientBin, mode, fx.criod.socket);
    return go;
  };

  afterAll(async () => {
    await go?.close();
  });

  it('Version', async () => {
    const v = await client().call(RuntimeService.version, { version: 'v1' });
    expect(v).toMatchObject({ runtimeName: 'criod', runtimeApiVersion: 'v1' });
    expect(v.runtimeVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(v).toEqual(await fx.criod.client.runtime.version({ version: 'v1' }));
  });

  it('Status, verbose', async () => {
    const st = await client().call(RuntimeService.status, { verbose: true });
    const conditions = Object.fromEntries((st.status?.conditions ?? []).map((c) => [c.type, c.status]));
    expect(conditions).toEqual({ RuntimeReady: true, NetworkReady: true });
    expect(st.runtimeHandlers.map((h) => h.name)).toEqual(['', 'runc']);
    expect(JSON.parse(st.info.config ?? '{}')).toMatchObject({ root: join(fx.criod.dir, 'root') });
  });

  it('RunPodSandbox, StopPodSandbox, RemovePodSandbox', async () => {
    const go = client();
    const config = fx.podConfig();
    const { podSandboxId } = await go.call(RuntimeService.runPodSandbox, { config, runtimeHandler: '' });
    expect(podSandboxId).toMatch(/^[0-9a-f]{64}$/);

    const ready = await go.call(RuntimeService.podSandboxStatus, { podSandboxId, verbose: false });
    expect(ready.status).toMatchObject({ id: podSandboxId, state: cri.PodSandboxState.SANDBOX_READY, metadata: config.metadata, labels: config.labels });
    expect(ready.status?.network?.ip.startsWith(`${fx.net.prefix}.`)).toBe(true);
    const listed = await go.call(RuntimeService.listPodSandbox, { filter: { id: podSandboxId, state: undefined, labelSelector: {} } });
    expect(listed.items.map((p) => p.id)).toEqual([podSandboxId]);

    await go.call(RuntimeService.stopPodSandbox, { podSandboxId });
    const stopped = await go.call(RuntimeService.podSandboxStatus, { podSandboxId, verbose: false });
    expect(stopped.status?.state).toBe(cri.PodSandboxState.SANDBOX_NOTREADY);

    await go.call(RuntimeService.removePodSandbox, { podSandboxId });
    await expect(go.call(RuntimeService.podSandboxStatus, { podSandboxId, verbose: false })).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
  });

  it('ImageFsInfo', async () => {
    const fs = await client().call(ImageService.imageFsInfo, {});
    expect(fs.imageFilesystems).toHaveLength(1);
    const [usage] = fs.imageFilesystems;
    expect(usage?.fsId?.mountpoint).toBe(join(fx.criod.dir, 'root', 'images'));
    expect(usage?.usedBytes?.value).toBeGreaterThan(500_000n); // the fixture pulled busybox
    expect(usage?.timestamp).toBeGreaterThan(0n);
  });

  it('GetContainerEvents streams a container created, started, stopped and deleted', async () => {
    const go = client();
    const podSandboxId = fx.podSandboxId;
    const events = go.stream(RuntimeService.getContainerEvents, {});
    try {
      await events.opened;
      // A moment for criod to subscribe the stream; one it refused has ended by then.
      await new Promise((r) => setTimeout(r, 300));
      if (events.error) throw events.error;

      const config = containerConfig(images!.busybox, ['sleep', '3600']);
      const { containerId } = await go.call(RuntimeService.createContainer, { podSandboxId, config, sandboxConfig: fx.podConfig() });
      await go.call(RuntimeService.startContainer, { containerId });
      await go.call(RuntimeService.stopContainer, { containerId, timeout: 1n });
      await go.call(RuntimeService.removeContainer, { containerId });

      const ours = () => events.messages.filter((e) => e.containerId === containerId);
      await waitFor('the deleted event', () => ours().some((e) => e.containerEventType === cri.ContainerEventType.CONTAINER_DELETED_EVENT), 10_000);
      expect(ours().map((e) => e.containerEventType)).toEqual([
        cri.ContainerEventType.CONTAINER_CREATED_EVENT,
        cri.ContainerEventType.CONTAINER_STARTED_EVENT,
        cri.ContainerEventType.CONTAINER_STOPPED_EVENT,
        cri.ContainerEventType.CONTAINER_DELETED_EVENT,
      ]);
      const [created, started, stopped] = ours();
      for (const e of ours()) {
        expect(e.podSandboxStatus?.id).toBe(podSandboxId);
        expect(e.createdAt).toBeGreaterThan(0n);
      }
      expect(started?.containersStatuses.find((c) => c.id === containerId)?.state).toBe(cri.ContainerState.CONTAINER_RUNNING);
      expect(stopped?.containersStatuses.find((c) => c.id === containerId)).toMatchObject({ state: cri.ContainerState.CONTAINER_EXITED, exitCode: 137 });
      expect(created?.containersStatuses.find((c) => c.id === containerId)?.metadata?.name).toBe(config.metadata?.name);

      events.cancel();
      expect(await events.ended).toMatchObject({ code: GrpcStatus.CANCELLED });
    } finally {
      events.cancel();
    }
  });
});
