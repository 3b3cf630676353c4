/**
 * `pnpm bench` (as root): one criod, one table. Per-operation medians of a pod lifecycle through
 * the CRI socket at 1 and 4 in parallel, next to the floor (unshare + CNI bridge + runc called
 * directly) measured in the same run, for pods sharing one PID namespace (infra container) and for
 * usual pods; criod's RSS fresh, with pods, and after many lifecycles; conmon's PSS per pod; the
 * list/status/stats calls kubelet makes all the time at 100 pods; the Version round trip. Ends
 * with a check that nothing is left behind (exit code 1 if something is).
 *
 * Knobs: BENCH_RUNS (lifecycles per row and parallelism, 10), BENCH_LIFECYCLES (for the growth
 * measure, 200), BENCH_PODS (the load part, 100), BENCH_CALLS (sequential calls per list/stats
 * row, 200), BENCH_RPC_CALLS (Version round trips, 2000), BENCH_NODE_ARGS (node flags of criod,
 * those of scripts/up.sh by default). `pnpm bench load` runs the load part only.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cri } from '@criod/cri-grpc';
import { conmonsMentioning, removeCgroupParent } from '../containers.js';
import { startCriod, uniqueName, waitFor } from '../harness.js';
import { startTestImages } from '../images.js';
import { deleteBridge, writeBridgeNetwork } from '../network.js';
import { makeFloor } from './floor.js';
import { leftBehind } from './leftovers.js';
import { inParallel, lifecycleSteps, podLifecycle, removePod, startPod, type LifecycleStep, type LifecycleTimes } from './lifecycle.js';
import { pssOf, rssOf, type Rss } from './memory.js';
import { loadAverage, median, printTable, quantile, ratio, timeIt } from './stats.js';

const knob = (name: string, fallback: number) => Math.max(1, Number(process.env[name] ?? fallback));
const runs = knob('BENCH_RUNS', 10);
const lifecycles = knob('BENCH_LIFECYCLES', 200);
const loadPods = knob('BENCH_PODS', 100);
const calls = knob('BENCH_CALLS', 200);
const rpcCalls = knob('BENCH_RPC_CALLS', 2000);
const memoryPods = 20;
/** The node flags scripts/up.sh starts criod with; BENCH_NODE_ARGS="" measures V8's defaults. */
const criodNodeFlags = (process.env.BENCH_NODE_ARGS ?? '--max-semi-space-size=2').split(' ').filter(Boolean);
const onlyLoad = process.argv[2] === 'load';

const stepNames: Record<LifecycleStep, string> = {
  run: 'RunPodSandbox',
  stopRemovePod: 'Stop + RemovePodSandbox',
  createStart: 'Create + StartContainer',
  stopContainer: 'StopContainer',
  removeContainer: 'RemoveContainer',
  whole: 'whole lifecycle',
};
const perStep = (times: LifecycleTimes[], step: LifecycleStep) => median(times.map((t) => t[step]));
/** Idle long enough for the timers of the last calls to run and a GC to follow. */
const settle = () => new Promise((r) => setTimeout(r, 3000));

const loadAtStart = loadAverage();
const images = await startTestImages();
const criod = await startCriod({ config: { log_level: 'warn', image: { pause_image: images.pause } }, nodeArgs: criodNodeFlags });
const net = writeBridgeNetwork(criod.dir);
const cgroupParent = `/${uniqueName('criod-bench-')}`;
const floorDir = join(criod.dir, 'floor');
mkdirSync(floorDir);
const floor = await makeFloor(floorDir, net, cgroupParent);
const rt = criod.client.runtime;
const pid = criod.pid()!;
const target = { client: criod.client, image: images.busybox, logRoot: join(criod.dir, 'logs'), cgroupParent };
const rss: { what: string; rss: Rss; load: string }[] = [];
const measureRss = (what: string) => rss.push({ what, rss: rssOf(pid), load: loadAverage().split(' ')[0]! });
const tables: (() => void)[] = [];
const memoryRows: (string | number)[][] = [];
let leftovers: string[] = [];
try {
  await waitFor('NetworkReady', async () => (await rt.status({ verbose: false })).status?.conditions.find((x) => x.type === 'NetworkReady')?.status === true);
  await settle();
  measureRss('fresh, idle');
  for (const image of [images.busybox, images.pause])
    await criod.client.image.pullImage({ image: cri.ImageSpec.fromPartial({ image }), auth: undefined, sandboxConfig: undefined });

  if (!onlyLoad) {
    const version: number[] = [];
    for (let i = 0; i < 200; i++) await rt.version({ version: '0.1.0' });
    for (let i = 0; i < rpcCalls; i++) version.push(await timeIt(() => rt.version({ version: '0.1.0' })));

    const lifecycleRows: (string | number)[][] = [];
    for (const infra of [true, false]) {
      await podLifecycle(target, infra); // warm: page cache, first CNI and runc runs
      await floor.lifecycle(-1, infra);
      const serial: LifecycleTimes[] = [];
      const floorTimes: LifecycleTimes[] = [];
      // Interleaved, so that load from elsewhere on the machine hits both alike.
      for (let i = 0; i < runs; i++) {
        serial.push(await podLifecycle(target, infra));
        floorTimes.push(await floor.lifecycle(i, infra));
      }
      const parallel = await inParallel(runs * 4, 4, () => podLifecycle(target, infra));
      for (const step of lifecycleSteps) {
        const f = perStep(floorTimes, step);
        lifecycleRows.push([
          `${stepNames[step]}${infra ? ' (infra)' : ''}`,
          perStep(serial, step),
          perStep(parallel, step),
          f,
          ratio(perStep(serial, step), f),
        ]);
      }
    }
    await settle();
    measureRss('after the lifecycle rows');

    const pods = await inParallel(memoryPods, 4, () => startPod(target, false));
    await settle();
    measureRss(`with ${memoryPods} pods`);
    const conmons = conmonsMentioning(criod.dir);
    const conmonPss = conmons.reduce((sum, p) => sum + pssOf(p), 0);
    await inParallel(pods.length, 4, (i) => removePod(target, pods[i]!));

    tables.push(() =>
      printTable(
        `Pod lifecycle (${runs} runs per row at 1 in parallel, ${runs * 4} at 4; medians in ms; floor = unshare + CNI bridge + runc directly, interleaved with the 1-parallel runs)`,
        ['operation', 'criod (1 parallel)', 'criod (4 parallel, per op)', 'floor', 'criod / floor'],
        lifecycleRows,
      ),
    );
    tables.push(() =>
      printTable(
        `gRPC layer (${rpcCalls} sequential calls)`,
        ['call', 'p50 (µs)', 'p99 (µs)'],
        [['Version round trip', median(version) * 1000, quantile(version, 0.99) * 1000]],
      ),
    );
    memoryRows.push([`conmon PSS per pod (${conmons.length} conmons at ${memoryPods} pods)`, conmonPss / memoryPods, '', '', '', '']);
  }

  const made = await inParallel(loadPods, 4, () => startPod(target, false));
  await settle();
  measureRss(`with ${loadPods} pods`);
  const pick = (i: number) => made[i % made.length]!;
  const sample = async (fn: (i: number) => Promise<unknown>) => {
    await fn(0);
    const out: number[] = [];
    for (let i = 0; i < calls; i++) out.push(await timeIt(() => fn(i)));
    return out;
  };
  const loadRows: [string, number[]][] = [
    ['ListPodSandbox', await sample(() => rt.listPodSandbox({ filter: undefined }))],
    ['ListContainers', await sample(() => rt.listContainers({ filter: undefined }))],
    ['ListContainerStats', await sample(() => rt.listContainerStats({ filter: undefined }))],
    ['ListPodSandboxStats', await sample(() => rt.listPodSandboxStats({ filter: undefined }))],
    ['PodSandboxStatus', await sample((i) => rt.podSandboxStatus({ podSandboxId: pick(i).podSandboxId, verbose: false }))],
    ['ContainerStatus', await sample((i) => rt.containerStatus({ containerId: pick(i).containerId, verbose: false }))],
  ];
  await inParallel(made.length, 4, (i) => removePod(target, made[i]!));
  const loadTitle = `Calls at ${loadPods} pods with a running container each (${calls} sequential calls per row; ms; criod RSS ${rss.at(-1)!.rss.total.toFixed(1)} MB)`;
  tables.push(() =>
    printTable(
      loadTitle,
      ['call', 'p50', 'p99', 'max'],
      loadRows.map(([call, s]) => [call, median(s), quantile(s, 0.99), Math.max(...s)]),
    ),
  );

  if (!onlyLoad) {
    const growth = await timeIt(() => inParallel(lifecycles, 4, (i) => podLifecycle(target, i % 2 === 0)));
    await settle();
    measureRss(`after ${lifecycles} more lifecycles (4 at a time, half with infra; ${(growth / 1000).toFixed(0)} s)`);
  }
  const fresh = rss[0]!.rss.total;
  tables.push(() =>
    printTable(
      'Memory of criod (MB; anon = heap and other private memory, file = the node binary and libraries)',
      ['', 'RSS', 'anon', 'file', 'vs fresh', 'load avg'],
      [
        ...rss.map((r) => [
          r.what,
          r.rss.total,
          r.rss.anon,
          r.rss.file,
          r === rss[0] ? '' : `${r.rss.total - fresh >= 0 ? '+' : ''}${(r.rss.total - fresh).toFixed(1)}`,
          r.load,
        ]),
        ...memoryRows,
      ],
    ),
  );

  leftovers = await leftBehind(criod.client, criod.dir, net, cgroupParent);
  for (const print of tables) print();
  console.log(`\ncriod ran as: node ${criodNodeFlags.join(' ')} criod.js`);
  console.log(`load average (1 5 15 min): ${loadAtStart} at the start, ${loadAverage()} at the end`);
  console.log(
    leftovers.length === 0
      ? 'left behind: nothing (pods, netns, veths, IPs, runc, conmon, cgroups, mounts checked)'
      : `LEFT BEHIND:\n  ${leftovers.join('\n  ')}`,
  );
} finally {
  await floor.cleanup();
  const remaining = await rt.listPodSandbox({ filter: undefined }).catch(() => ({ items: [] }));
  for (const p of remaining.items) await rt.removePodSandbox({ podSandboxId: p.id }).catch(() => undefined);
  await criod.cleanup();
  await deleteBridge(net);
  removeCgroupParent(cgroupParent);
  await images.stop();
}
if (leftovers.length > 0) process.exitCode = 1;
