/**
 * What operators watch: Prometheus metrics moving through a pod's life, the Stream* list calls,
 * and UpdateRuntimeConfig rendering a CNI config from a template.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { cri } from '@criod/cri-grpc';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { containerConfig, removeCgroupParent, waitForExit } from './containers.js';
import { startCriod, uniqueName, waitFor, type CriodInstance } from './harness.js';
import { startTestImages, type TestImages } from './images.js';
import { deleteBridge, writeBridgeNetwork, type TestNetwork } from './network.js';
import { podConfig } from './pods.js';

let images: TestImages;
let criod: CriodInstance | undefined;
let bridges: string[] = [];
let cgroupParent: string | undefined;
const tempDirs: string[] = [];

beforeAll(async () => {
  images = await startTestImages();
});

afterAll(async () => {
  await images?.stop();
});

afterEach(async () => {
  if (criod) {
    const pods = await criod.client.runtime.listPodSandbox({ filter: undefined }).catch(() => ({ items: [] }));
    for (const p of pods.items) await criod.client.runtime.removePodSandbox({ podSandboxId: p.id }).catch(() => undefined);
    await criod.cleanup();
  }
  for (const bridge of bridges) await deleteBridge({ bridge } as TestNetwork);
  if (cgroupParent) removeCgroupParent(cgroupParent);
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
  criod = undefined;
  bridges = [];
  cgroupParent = undefined;
});

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The samples of a Prometheus text exposition, keyed by name{labels} as printed. */
async function scrape(port: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

async function networkReady(c: CriodInstance): Promise<boolean> {
  const st = await c.client.runtime.status({ verbose: false });
  return st.status?.conditions.find((x) => x.type === 'NetworkReady')?.status === true;
}

function testPod(c: CriodInstance): cri.PodSandboxConfig {
  const config = podConfig({ logDirectory: join(c.dir, 'logs') });
  config.linux!.cgroupParent = cgroupParent!;
  return config;
}

describe('Prometheus metrics', () => {
  it('count requests, pulls, CNI commands and restored pods, and gauge pods and containers by state', async () => {
    const port = await freePort();
    criod = await startCriod({ config: { image: { pause_image: images.pause }, metrics: { enable: true, port } } });
    const c = criod;
    bridges.push(writeBridgeNetwork(c.dir).bridge);
    cgroupParent = `/${uniqueName('criod-e2e-')}`;
    await waitFor('NetworkReady', () => networkReady(c));
    expect((await scrape(port)).get('criod_restore_pods{result="restored"}')).toBe(0);

    await c.client.image.pullImage({ image: cri.ImageSpec.fromPartial({ image: images.busybox }), auth: undefined, sandboxConfig: undefined });
    await expect(
      c.client.image.pullImage({
        image: cri.ImageSpec.fromPartial({ image: `${images.registry.host}/e2e/absent:1` }),
        auth: undefined,
        sandboxConfig: undefined,
      }),
    ).rejects.toBeDefined();
    const { podSandboxId } = await c.client.runtime.runPodSandbox({ config: testPod(c), runtimeHandler: '' });
    const { containerId } = await c.client.runtime.createContainer({
      podSandboxId,
      config: containerConfig(images.busybox, ['sleep', '3600']),
      sandboxConfig: undefined,
    });
    await c.client.runtime.startContainer({ containerId });
    await expect(c.client.runtime.podSandboxStatus({ podSandboxId: 'absent', verbose: false })).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });

    let m = await scrape(port);
    expect(m.get('criod_pods{state="ready"}')).toBe(1);
    expect(m.get('criod_containers{state="running"}')).toBe(1);
    expect(m.get('criod_grpc_requests_total{rpc="RunPodSandbox",code="OK"}')).toBe(1);
    expect(m.get('criod_grpc_requests_total{rpc="PodSandboxStatus",code="NOT_FOUND"}')).toBe(1);
    expect(m.get('criod_grpc_request_duration_seconds_count{rpc="StartContainer"}')).toBe(1);
    expect(m.get('criod_image_pulls_total')).toBe(2);
    expect(m.get('criod_image_pull_failures_total')).toBe(1);
    expect(m.get('criod_image_pull_bytes_total')).toBeGreaterThan(100_000);
    expect(m.get('criod_image_pull_duration_seconds_count')).toBe(2);
    expect(m.get('criod_cni_operation_duration_seconds_count{command="ADD"}')).toBe(1);
    expect(m.get('criod_cni_operation_failures_total{command="ADD"}') ?? 0).toBe(0);
    expect(m.get('process_cpu_seconds_total')).toBeGreaterThan(0);

    // A restart finds the pod and its container again.
    await c.stop();
    await c.restart();
    m = await scrape(port);
    expect(m.get('criod_restore_pods{result="restored"}')).toBe(1);
    expect(m.get('criod_restore_containers{result="restored"}')).toBe(1);
    expect(m.get('criod_restore_pods{result="cleaned"}')).toBe(0);

    await c.client.runtime.stopContainer({ containerId, timeout: 0n });
    await waitForExit(c.client, containerId);
    await c.client.runtime.stopPodSandbox({ podSandboxId });
    m = await scrape(port);
    expect(m.get('criod_containers{state="exited"}')).toBe(1);
    expect(m.get('criod_pods{state="notready"}')).toBe(1);
    expect(m.get('criod_cni_operation_duration_seconds_count{command="DEL"}')).toBe(1);
    await c.client.runtime.removePodSandbox({ podSandboxId });
    m = await scrape(port);
    expect(m.get('criod_pods{state="notready"}')).toBe(0);
    expect(m.get('criod_containers{state="exited"}')).toBe(0);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  });

  it('listen nowhere unless enabled', async () => {
    criod = await startCriod();
    const started = criod;
    // The socket answers a moment before the line announcing it (and the metrics URL, if any) is written.
    await waitFor('criod to announce it is serving', () => /criod is serving CRI v1/.test(started.logs()));
    expect(criod.logs()).not.toMatch(/"metrics":"http/);
  });
});

describe('Stream* list calls against a real criod', () => {
  it('answer what the list calls answer', async () => {
    criod = await startCriod();
    const c = criod;
    bridges.push(writeBridgeNetwork(c.dir).bridge);
    cgroupParent = `/${uniqueName('criod-e2e-')}`;
    await waitFor('NetworkReady', () => networkReady(c));
    await c.client.image.pullImage({ image: cri.ImageSpec.fromPartial({ image: images.busybox }), auth: undefined, sandboxConfig: undefined });
    const { podSandboxId } = await c.client.runtime.runPodSandbox({ config: testPod(c), runtimeHandler: '' });
    const { containerId } = await c.client.runtime.createContainer({
      podSandboxId,
      config: containerConfig(images.busybox, ['sleep', '3600']),
      sandboxConfig: undefined,
    });
    await c.client.runtime.startContainer({ containerId });
    const collect = <T>(stream: NodeJS.ReadableStream): Promise<T[]> =>
      new Promise((resolve, reject) => {
        const all: T[] = [];
        stream.on('data', (m: T) => all.push(m));
        stream.on('error', reject);
        stream.on('end', () => resolve(all));
      });
    const rt = c.client.raw.runtime;
    const pods = await collect<cri.StreamPodSandboxesResponse>(rt.streamPodSandboxes({ filter: undefined }));
    expect(pods.flatMap((r) => r.podSandboxes)).toEqual((await c.client.runtime.listPodSandbox({ filter: undefined })).items);
    const ctrs = await collect<cri.StreamContainersResponse>(rt.streamContainers({ filter: undefined }));
    expect(ctrs.flatMap((r) => r.containers)).toEqual((await c.client.runtime.listContainers({ filter: undefined })).containers);
    const stats = await collect<cri.StreamContainerStatsResponse>(rt.streamContainerStats({ filter: undefined }));
    expect(stats.flatMap((r) => r.containerStats).map((s) => s.attributes?.id)).toEqual([containerId]);
    const imgs = await collect<cri.StreamImagesResponse>(c.client.raw.image.streamImages({ filter: undefined }));
    expect(imgs.flatMap((r) => r.images)).toEqual((await c.client.image.listImages({ filter: undefined })).images);
  });
});

describe('UpdateRuntimeConfig', () => {
  it('renders [network] conf_template for the pod CIDR, after which the network is ready and pods get addresses in it', async () => {
    const templateDir = mkdtempSync(join(tmpdir(), 'criod-e2e-tmpl-'));
    tempDirs.push(templateDir);
    const bridge = uniqueName('cbr');
    bridges.push(bridge);
    const template = join(templateDir, 'cni.tmpl');
    writeFileSync(
      template,
      `{
  "cniVersion": "1.0.0",
  "name": "e2e-${bridge}",
  "plugins": [{
    "type": "bridge", "bridge": "${bridge}", "isGateway": true, "ipMasq": false,
    "ipam": {
      "type": "host-local", "dataDir": "${join(templateDir, 'ipam')}",
      "ranges": [{{- range $i, $range := .PodCIDRRanges}}{{if $i}}, {{end}}[{"subnet": "{{$range}}"}]{{- end}}],
      "routes": [{{- range $i, $route := .Routes}}{{if $i}}, {{end}}{"dst": "{{$route}}"}{{- end}}]
    }
  }]
}`,
    );
    criod = await startCriod({ config: { network: { conf_template: template } } });
    const c = criod;
    cgroupParent = `/${uniqueName('criod-e2e-')}`;
    expect(await networkReady(c)).toBe(false);
    const prefix = `10.${randomInt(200, 250)}.${randomInt(0, 255)}`;
    await c.client.runtime.updateRuntimeConfig({ runtimeConfig: { networkConfig: { podCidr: `${prefix}.0/24` } } });
    expect(await networkReady(c)).toBe(true);
    const st = await c.client.runtime.status({ verbose: true });
    expect(JSON.parse(st.info.runtimeConfig ?? '{}')).toEqual({ podCidr: `${prefix}.0/24` });
    const { podSandboxId } = await c.client.runtime.runPodSandbox({ config: testPod(c), runtimeHandler: '' });
    const ps = await c.client.runtime.podSandboxStatus({ podSandboxId, verbose: false });
    expect(ps.status?.network?.ip.startsWith(`${prefix}.`)).toBe(true);
  });
});
