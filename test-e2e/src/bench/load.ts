/**
 * A load bench: 100 pods with a busybox `sleep` container each, then p50/p99 of the calls
 * kubelet makes all the time (list, status and stats RPCs) over sequential calls, criod's RSS
 * idle → with the pods → after removing them, and a check that nothing is left behind: no
 * netns pins, veths, IPs, runc containers, conmons, cgroups or mounts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cri } from '@criod/cri-grpc';
import { conmonsMentioning, containerConfig, leftoverCgroups, removeCgroupParent, runcList } from '../containers.js';
import { mountsBelow, startCriod, uniqueName, waitFor } from '../harness.js';
import { startTestImages } from '../images.js';
import { allocatedIps, bridgePorts, deleteBridge, writeBridgeNetwork } from '../network.js';
import { podConfig } from '../pods.js';
import { printLatencies, timeIt } from './stats.js';

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
}

/** Run `fn` over `items` with at most `n` at once. */
async function inBatches<T>(items: T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export async function benchLoad(pods: number, calls: number): Promise<void> {
  const images = await startTestImages();
  const criod = await startCriod({ config: { log_level: 'warn', image: { pause_image: images.pause } } });
  const net = writeBridgeNetwork(criod.dir);
  const cgroupParent = `/${uniqueName('criod-load-')}`;
  const rt = criod.client.runtime;
  const pid = criod.pid()!;
  const leftovers: string[] = [];
  try {
    await waitFor('NetworkReady', async () => (await rt.status({ verbose: false })).status?.conditions.find((x) => x.type === 'NetworkReady')?.status === true);
    await criod.client.image.pullImage({ image: cri.ImageSpec.fromPartial({ image: images.busybox }), auth: undefined, sandboxConfig: undefined });
    await new Promise((r) => setTimeout(r, 2000));
    const rssIdle = rssMb(pid);

    // The pods, four at a time as kubelet's pod workers would.
    const made: { podSandboxId: string; containerId: string }[] = [];
    const startup = await timeIt(() =>
      inBatches(
        Array.from({ length: pods }, (_, i) => i),
        4,
        async () => {
          const config = podConfig({ logDirectory: join(criod.dir, 'logs', uniqueName('p')) });
          config.linux!.cgroupParent = cgroupParent;
          const { podSandboxId } = await rt.runPodSandbox({ config, runtimeHandler: '' });
          const { containerId } = await rt.createContainer({ podSandboxId, config: containerConfig(images.busybox, ['sleep', '3600']), sandboxConfig: config });
          await rt.startContainer({ containerId });
          made.push({ podSandboxId, containerId });
        },
      ),
    );
    const running = (await rt.listContainers({ filter: { id: '', podSandboxId: '', labelSelector: {}, state: { state: cri.ContainerState.CONTAINER_RUNNING } } })).containers.length;
    console.log(`\n${pods} pods with a running container each: started in ${(startup / 1000).toFixed(1)} s (4 at a time); ${running} containers running`);
    await new Promise((r) => setTimeout(r, 2000));
    const rssLoaded = rssMb(pid);

    // Sequential calls, as kubelet's PLEG and stats loops make them.
    const pick = (i: number) => made[i % made.length]!;
    const sample = async (fn: (i: number) => Promise<unknown>) => {
      await fn(0); // warm
      const out: number[] = [];
      for (let i = 0; i < calls; i++) out.push(await timeIt(() => fn(i)));
      return out;
    };
    const rows = [
      { operation: 'ListPodSandbox', samples: await sample(() => rt.listPodSandbox({ filter: undefined })) },
      { operation: 'ListContainers', samples: await sample(() => rt.listContainers({ filter: undefined })) },
      { operation: 'ListContainerStats', samples: await sample(() => rt.listContainerStats({ filter: undefined })) },
      { operation: 'ListPodSandboxStats', samples: await sample(() => rt.listPodSandboxStats({ filter: undefined })) },
      { operation: 'PodSandboxStatus', samples: await sample((i) => rt.podSandboxStatus({ podSandboxId: pick(i).podSandboxId, verbose: false })) },
      { operation: 'ContainerStatus', samples: await sample((i) => rt.containerStatus({ containerId: pick(i).containerId, verbose: false })) },
    ];
    printLatencies(`Calls at ${made.length} pods (${calls} sequential calls each)`, rows);

    const teardown = await timeIt(() =>
      inBatches(made, 4, async ({ podSandboxId, containerId }) => {
        await rt.stopContainer({ containerId, timeout: 0n });
        await rt.removeContainer({ containerId });
        await rt.stopPodSandbox({ podSandboxId });
        await rt.removePodSandbox({ podSandboxId });
      }),
    );
    await new Promise((r) => setTimeout(r, 5000));
    const rssAfter = rssMb(pid);
    console.log(`\nremoved in ${(teardown / 1000).toFixed(1)} s (4 at a time)`);
    console.log(`criod RSS: idle ${rssIdle.toFixed(1)} MB -> with ${made.length} pods ${rssLoaded.toFixed(1)} MB -> after removing them ${rssAfter.toFixed(1)} MB (5 s later)`);

    // Nothing left behind.
    const left = (what: string, items: string[]) => {
      if (items.length > 0) leftovers.push(`${what}: ${items.slice(0, 5).join(', ')}${items.length > 5 ? ` (${items.length})` : ''}`);
    };
    left('pods', (await rt.listPodSandbox({ filter: undefined })).items.map((p) => p.id));
    left('containers', (await rt.listContainers({ filter: undefined })).containers.map((c) => c.id));
    left('netns pins', readdirSync(join(criod.dir, 'netns')));
    left('veths on the bridge', await bridgePorts(net));
    left('IPs held', allocatedIps(net));
    left('runc containers', await runcList(join(criod.dir, 'run', 'runtimes', 'runc')));
    left('conmons', conmonsMentioning(criod.dir).map(String));
    left('cgroups', leftoverCgroups(cgroupParent));
    left('pod records', existsSync(join(criod.dir, 'root', 'pods')) ? readdirSync(join(criod.dir, 'root', 'pods')) : []);
    left('pod mounts', mountsBelow(join(criod.dir, 'run', 'pods')));
    left('container mounts', mountsBelow(join(criod.dir, 'root')).filter((m) => m.includes('containers')));
    console.log(leftovers.length === 0 ? 'left behind: nothing (netns, veths, IPs, runc, conmon, cgroups, mounts checked)' : `LEFT BEHIND:\n  ${leftovers.join('\n  ')}`);
  } finally {
    const remaining = await rt.listPodSandbox({ filter: undefined }).catch(() => ({ items: [] }));
    for (const p of remaining.items) await rt.removePodSandbox({ podSandboxId: p.id }).catch(() => undefined);
    await criod.cleanup();
    await deleteBridge(net);
    removeCgroupParent(cgroupParent);
    await images.stop();
  }
  if (leftovers.length > 0) process.exitCode = 1;
}
