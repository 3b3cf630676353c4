/**
 * A CRI runtime the bench measures — criod, and containerd with BENCH_CONTAINERD=1 — each with its
 * own daemon, dirs, bridge network and cgroup parent, so that the same code drives both.
 */
import type { CriClient } from '@criod/cri-grpc';
import { cri } from '@criod/cri-grpc';
import { waitFor } from '../harness.js';
import type { TestNetwork } from '../network.js';
import type { LifecycleTarget } from './lifecycle.js';

export interface BenchTarget extends LifecycleTarget {
  /** As the tables name it. */
  name: string;
  /** The daemon, for its RSS. */
  pid: number;
  net: TestNetwork;
  /** The process a runtime keeps beside its pods and containers (conmon, the containerd shim) and the PIDs of those running now. */
  monitorName: string;
  monitors(): number[];
  /** What the runtime must not leave behind, checked after the bench removed its pods. */
  leftBehind(): Promise<Leftovers>;
  /** Remove its pods, stop the daemon, remove its dirs, bridge and cgroups; also after a failure. */
  cleanup(): Promise<void>;
}

export interface Leftovers {
  /** The kinds of things looked for. */
  checked: string[];
  /** One line per kind found. */
  found: string[];
}

/** Wait for the runtime's NetworkReady condition: its CNI config is loaded. */
export async function waitNetworkReady(client: CriClient): Promise<void> {
  await waitFor(
    'NetworkReady',
    async () => (await client.runtime.status({ verbose: false })).status?.conditions.find((x) => x.type === 'NetworkReady')?.status === true,
    60_000,
  );
}

export async function pullImages(client: CriClient, images: string[]): Promise<void> {
  for (const image of images) await client.image.pullImage({ image: cri.ImageSpec.fromPartial({ image }), auth: undefined, sandboxConfig: undefined });
}

/** Stop and remove every pod the runtime still lists, as kubelet would; what fails here shows in the leftovers check. */
export async function removeAllPods(client: CriClient): Promise<void> {
  const pods = await client.runtime.listPodSandbox({ filter: undefined }).catch(() => ({ items: [] }));
  for (const p of pods.items) {
    await client.runtime.stopPodSandbox({ podSandboxId: p.id }).catch(() => undefined);
    await client.runtime.removePodSandbox({ podSandboxId: p.id }).catch(() => undefined);
  }
}
