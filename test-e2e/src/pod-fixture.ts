/**
 * A real criod with a CNI bridge, the test image pulled and one pod running in its own cgroup
 * parent: what the container, security and streaming tests start from, torn down in full.
 */
import { join } from 'node:path';
import { cri } from '@criod/cri-grpc';
import { containerConfig, removeCgroupParent } from './containers.js';
import { startCriod, uniqueName, waitFor, type CriodInstance } from './harness.js';
import type { TestImages } from './images.js';
import { deleteBridge, writeBridgeNetwork, type TestNetwork } from './network.js';
import { podConfig } from './pods.js';

export interface PodFixture {
  criod: CriodInstance;
  net: TestNetwork;
  cgroupParent: string;
  podSandboxId: string;
  /** Create and start a busybox container in the pod; its id. */
  run(command: string[], overrides?: Partial<cri.ContainerConfig>, limits?: cri.LinuxContainerResources): Promise<string>;
  /** A pod config with the fixture's log dir and cgroup parent, for extra pods. */
  podConfig(): cri.PodSandboxConfig;
  cleanup(): Promise<void>;
}

export async function startPodFixture(images: TestImages): Promise<PodFixture> {
  const criod = await startCriod({ config: { image: { pause_image: images.pause } } });
  const net = writeBridgeNetwork(criod.dir);
  const cgroupParent = `/${uniqueName('criod-e2e-')}`;
  const newPodConfig = () => {
    const config = podConfig({ logDirectory: join(criod.dir, 'logs') });
    config.linux!.cgroupParent = cgroupParent;
    return config;
  };
  const cleanup = async () => {
    const pods = await criod.client.runtime.listPodSandbox({ filter: undefined }).catch(() => ({ items: [] }));
    for (const p of pods.items) await criod.client.runtime.removePodSandbox({ podSandboxId: p.id }).catch(() => undefined);
    try {
      await criod.cleanup();
    } finally {
      await deleteBridge(net);
      removeCgroupParent(cgroupParent);
    }
  };
  try {
    await waitFor('NetworkReady', async () => {
      const st = await criod.client.runtime.status({ verbose: false });
      return st.status?.conditions.find((x) => x.type === 'NetworkReady')?.status === true;
    });
    await criod.client.image.pullImage({ image: cri.ImageSpec.fromPartial({ image: images.busybox }), auth: undefined, sandboxConfig: undefined });
    const { podSandboxId } = await criod.client.runtime.runPodSandbox({ config: newPodConfig(), runtimeHandler: '' });
    return {
      criod,
      net,
      cgroupParent,
      podSandboxId,
      podConfig: newPodConfig,
      cleanup,
      async run(command, overrides = {}, limits) {
        const config = containerConfig(images.busybox, command, overrides);
        if (limits) config.linux!.resources = limits;
        const { containerId } = await criod.client.runtime.createContainer({ podSandboxId, config, sandboxConfig: undefined });
        await criod.client.runtime.startContainer({ containerId });
        return containerId;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
