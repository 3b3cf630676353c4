/**
 * One pod lifecycle through the CRI socket, timed per step as kubelet makes the calls:
 * RunPodSandbox → CreateContainer + StartContainer → StopContainer → RemoveContainer →
 * StopPodSandbox + RemovePodSandbox. With `infra` the pod shares one PID namespace
 * (namespaceOptions.pid = POD), so criod starts an infra (pause) container for it.
 */
import { join } from 'node:path';
import { cri, type CriClient } from '@criod/cri-grpc';
import { containerConfig } from '../containers.js';
import { uniqueName } from '../harness.js';
import { podConfig } from '../pods.js';
import { timeIt } from './stats.js';

/** In the order the bench table lists them. */
export const lifecycleSteps = ['run', 'stopRemovePod', 'createStart', 'stopContainer', 'removeContainer', 'whole'] as const;
export type LifecycleStep = (typeof lifecycleSteps)[number];
export type LifecycleTimes = Record<LifecycleStep, number>;

export interface LifecycleTarget {
  client: CriClient;
  /** Image of the pod's container (it runs `sleep 3600`). */
  image: string;
  /** Pod log directories go below it. */
  logRoot: string;
  cgroupParent: string;
}

/** A pod config as kubelet sends it, under the bench's cgroup parent, with or without a shared PID namespace. */
export function benchPodConfig(target: LifecycleTarget, infra: boolean): cri.PodSandboxConfig {
  const config = podConfig({ logDirectory: join(target.logRoot, uniqueName('p')) });
  config.linux!.cgroupParent = target.cgroupParent;
  config.linux!.securityContext!.namespaceOptions!.pid = infra ? cri.NamespaceMode.POD : cri.NamespaceMode.CONTAINER;
  return config;
}

/** A pod with one running container, as the load and memory parts keep them. */
export async function startPod(target: LifecycleTarget, infra: boolean): Promise<{ podSandboxId: string; containerId: string }> {
  const rt = target.client.runtime;
  const config = benchPodConfig(target, infra);
  const { podSandboxId } = await rt.runPodSandbox({ config, runtimeHandler: '' });
  const { containerId } = await rt.createContainer({ podSandboxId, config: containerConfig(target.image, ['sleep', '3600']), sandboxConfig: config });
  await rt.startContainer({ containerId });
  return { podSandboxId, containerId };
}

export async function removePod({ client }: LifecycleTarget, pod: { podSandboxId: string; containerId: string }): Promise<void> {
  const rt = client.runtime;
  await rt.stopContainer({ containerId: pod.containerId, timeout: 0n });
  await rt.removeContainer({ containerId: pod.containerId });
  await rt.stopPodSandbox({ podSandboxId: pod.podSandboxId });
  await rt.removePodSandbox({ podSandboxId: pod.podSandboxId });
}

export async function podLifecycle(target: LifecycleTarget, infra: boolean): Promise<LifecycleTimes> {
  const rt = target.client.runtime;
  const config = benchPodConfig(target, infra);
  let podSandboxId = '';
  let containerId = '';
  const t0 = process.hrtime.bigint();
  const run = await timeIt(async () => ({ podSandboxId } = await rt.runPodSandbox({ config, runtimeHandler: '' })));
  const createStart = await timeIt(async () => {
    ({ containerId } = await rt.createContainer({ podSandboxId, config: containerConfig(target.image, ['sleep', '3600']), sandboxConfig: config }));
    await rt.startContainer({ containerId });
  });
  const stopContainer = await timeIt(() => rt.stopContainer({ containerId, timeout: 0n }));
  const removeContainer = await timeIt(() => rt.removeContainer({ containerId }));
  const stopRemovePod = await timeIt(async () => {
    await rt.stopPodSandbox({ podSandboxId });
    await rt.removePodSandbox({ podSandboxId });
  });
  const whole = Number(process.hrtime.bigint() - t0) / 1e6;
  return { run, createStart, stopContainer, removeContainer, stopRemovePod, whole };
}

/** Run `fn` `count` times with at most `parallel` at once. */
export async function inParallel<T>(count: number, parallel: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}
