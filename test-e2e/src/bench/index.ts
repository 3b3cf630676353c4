/**
 * `pnpm bench` (as root): one criod, one table. Per-operation medians of a pod lifecycle through
 * the CRI socket at 1 and 4 in parallel, next to the floor (unshare + CNI bridge + runc called
 * directly) measured in the same run, for pods sharing one PID namespace (infra container) and for
 * usual pods; the throughput of whole lifecycles at 1 and 4 in parallel with how busy the cores
 * were (criod, the floor); criod's RSS fresh, with pods, and after many lifecycles; conmon's PSS per pod; the
 * list/status/stats calls kubelet makes all the time at 100 pods; the Version round trip. Ends
 * with a check that nothing is left behind (exit code 1 if something is).
 *
 * With BENCH_CONTAINERD=1 a private containerd (the distribution's 1.6, `apt-get install
 * containerd`; bench/containerd.ts) runs beside criod and gets every measure criod gets, in the
 * same run: its lifecycle runs interleaved with criod's and the floor's, its calls at 100 pods,
 * its RSS and its shims' PSS per pod, and its own leftovers check. Without the binary the bench
 * says so in one line and measures criod alone.
 *
 * Knobs: BENCH_RUNS (lifecycles per row and parallelism, 10), BENCH_LIFECYCLES (for the growth
 * measure, 200), BENCH_PODS (the load part, 100), BENCH_CALLS (sequential calls per list/stats
 * row, 200), BENCH_RPC_CALLS (Version round trips, 2000), BENCH_NODE_ARGS (node flags of criod,
 * those of scripts/up.sh by default), BENCH_GLIBC_TUNABLES (criod's, scripts/up.sh's by default),
 * BENCH_CONTAINERD (1: measure containerd too). `pnpm bench
 * load` runs the load part only.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { connectCri, type CriClient } from '@criod/cri-grpc';
import { startTestImages } from '../images.js';
import { containerdMissing, startContainerdTarget } from './containerd.js';
import { startCriodTarget } from './criod.js';
import { makeFloor, type Floor } from './floor.js';
import { startGrpcFloor } from './grpc-floor.js';
import { inParallel, lifecycleSteps, podLifecycle, removePod, startPod, type LifecycleStep, type LifecycleTimes } from './lifecycle.js';
import { MemoryTable, pssOf } from './memory.js';
import { CpuTally, loadAverage, median, printTable, quantile, ratio, timeIt } from './stats.js';
import { pullImages, waitNetworkReady, type BenchTarget } from './target.js';
import { upShLaunch } from '../up-sh-launch.js';

const knob = (name: string, fallback: number) => Math.max(1, Number(process.env[name] ?? fallback));
const runs = knob('BENCH_RUNS', 10);
const lifecycles = knob('BENCH_LIFECYCLES', 200);
const loadPods = knob('BENCH_PODS', 100);
const calls = knob('BENCH_CALLS', 200);
const rpcCalls = knob('BENCH_RPC_CALLS', 2000);
const withContainerd = process.env.BENCH_CONTAINERD === '1';
const memoryPods = 20;
/** The node flags and environment scripts/up.sh starts criod with; BENCH_NODE_ARGS="" measures V8's defaults, BENCH_GLIBC_TUNABLES="" glibc's. */
const criodNodeFlags = (process.env.BENCH_NODE_ARGS ?? upShLaunch.nodeArgs.join(' ')).split(' ').filter(Boolean);
const criodEnv = { GLIBC_TUNABLES: process.env.BENCH_GLIBC_TUNABLES ?? upShLaunch.env.GLIBC_TUNABLES };
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
/** Idle long enough for the timers of the last calls to run and criod's heap reducer to see two quiet intervals (2 s each). */
const settle = () => new Promise((r) => setTimeout(r, 5000));

type Pod = Awaited<ReturnType<typeof startPod>>;
/** The calls kubelet makes all the time, timed at BENCH_PODS pods. */
const loadCalls: [string, (t: BenchTarget, pod: Pod) => Promise<unknown>][] = [
  ['ListPodSandbox', (t) => t.client.runtime.listPodSandbox({ filter: undefined })],
  ['ListContainers', (t) => t.client.runtime.listContainers({ filter: undefined })],
  ['ListContainerStats', (t) => t.client.runtime.listContainerStats({ filter: undefined })],
  ['ListPodSandboxStats', (t) => t.client.runtime.listPodSandboxStats({ filter: undefined })],
  ['PodSandboxStatus', (t, pod) => t.client.runtime.podSandboxStatus({ podSandboxId: pod.podSandboxId, verbose: false })],
  ['ContainerStatus', (t, pod) => t.client.runtime.containerStatus({ containerId: pod.containerId, verbose: false })],
];

/** `calls` sequential timings of `fn` after one untimed call, or undefined when the runtime does not implement it. */
async function sample(fn: (i: number) => Promise<unknown>): Promise<number[] | undefined> {
  try {
    await fn(0);
  } catch (err) {
    if ((err as { code?: number }).code === status.UNIMPLEMENTED) return undefined;
    throw err;
  }
  const out: number[] = [];
  for (let i = 0; i < calls; i++) out.push(await timeIt(() => fn(i)));
  return out;
}

/** How fast whole lifecycles go one at a time and 4 at a time, and how busy the machine's cores are meanwhile. */
interface Throughput {
  name: string;
  serial: CpuTally;
  parallel: CpuTally;
}

/**
 * The lifecycle table's rows for pods with or without an infra container: each target interleaved
 * with the floor, then each (and the floor) at 4 in parallel; and the throughput of each.
 */
async function lifecycleRows(
  criod: BenchTarget,
  others: BenchTarget[],
  floor: Floor,
  infra: boolean,
): Promise<{ rows: (string | number)[][]; throughput: Throughput[] }> {
  const targets = [criod, ...others];
  for (const t of targets) await podLifecycle(t, infra); // warm: page cache, first CNI and runc runs
  await floor.lifecycle(-1, infra);
  const serial = new Map<BenchTarget, LifecycleTimes[]>(targets.map((t) => [t, []]));
  const floorTimes: LifecycleTimes[] = [];
  const suffix = infra ? ' (infra)' : '';
  const tally = new Map<BenchTarget | Floor, Throughput>(
    [...targets, floor].map((t) => [
      t,
      { name: `${t === floor ? 'floor' : (t as BenchTarget).name}${suffix}`, serial: new CpuTally(), parallel: new CpuTally() },
    ]),
  );
  // Interleaved, so that load from elsewhere on the machine hits all alike.
  for (let i = 0; i < runs; i++) {
    for (const t of targets) serial.get(t)!.push(await tally.get(t)!.serial.measure(1, () => podLifecycle(t, infra)));
    floorTimes.push(await tally.get(floor)!.serial.measure(1, () => floor.lifecycle(i, infra)));
  }
  const parallel = new Map<BenchTarget, LifecycleTimes[]>();
  for (const t of targets) parallel.set(t, await tally.get(t)!.parallel.measure(runs * 4, () => inParallel(runs * 4, 4, () => podLifecycle(t, infra))));
  await tally.get(floor)!.parallel.measure(runs * 4, () => inParallel(runs * 4, 4, (i) => floor.lifecycle(runs + i, infra)));
  const rows = lifecycleSteps.map((step) => {
    const one = (t: BenchTarget) => perStep(serial.get(t)!, step);
    const f = perStep(floorTimes, step);
    return [
      `${stepNames[step]}${suffix}`,
      one(criod),
      perStep(parallel.get(criod)!, step),
      f,
      ratio(one(criod), f),
      ...others.flatMap((o) => [one(o), perStep(parallel.get(o)!, step), ratio(one(criod), one(o))]),
    ];
  });
  return { rows, throughput: [...tally.values()] };
}

const loadAtStart = loadAverage();
const images = await startTestImages();
const targets: BenchTarget[] = [];
let floor: Floor | undefined;
let leftovers: string[] = [];
try {
  const criod = await startCriodTarget(images, criodNodeFlags, criodEnv);
  targets.push(criod);
  if (withContainerd) {
    const missing = await containerdMissing();
    if (missing) console.log(`BENCH_CONTAINERD=1: ${missing}; measuring criod alone`);
    else targets.push(await startContainerdTarget(criod.dir, images));
  }
  const others = targets.slice(1);
  const floorDir = join(criod.dir, 'floor');
  mkdirSync(floorDir);
  floor = await makeFloor(floorDir, criod.net, criod.cgroupParent);
  const memory = new MemoryTable();
  const tables: (() => void)[] = [];

  for (const t of targets) await waitNetworkReady(t.client);
  await settle();
  memory.measure('fresh, idle', targets);
  for (const t of targets) await pullImages(t.client, [images.busybox, images.pause]);
  // The first pull loads the registry client, which stays: this row sets it apart from what the lifecycles add.
  await settle();
  memory.measure('after pulling busybox and pause', targets);

  if (!onlyLoad) {
    // Interleaved, each daemon and grpc-js serving Version alone (the floor of a Node server).
    const grpcFloor = await startGrpcFloor(join(criod.dir, 'grpc-floor.sock'), criodNodeFlags);
    const floorClient = connectCri(grpcFloor.socket);
    const versionOf: [string, CriClient][] = [...targets.map((t): [string, CriClient] => [t.name, t.client]), ['grpc-js serving Version alone', floorClient]];
    const version = versionOf.map((): number[] => []);
    try {
      for (let i = 0; i < 200 + rpcCalls; i++) {
        for (const [k, [, client]] of versionOf.entries()) {
          const took = await timeIt(() => client.runtime.version({ version: '0.1.0' }));
          if (i >= 200) version[k]!.push(took);
        }
      }
    } finally {
      floorClient.close();
      await grpcFloor.stop();
    }

    const withInfra = await lifecycleRows(criod, others, floor, true);
    const withoutInfra = await lifecycleRows(criod, others, floor, false);
    const rows = [...withInfra.rows, ...withoutInfra.rows];
    const throughput = [...withInfra.throughput, ...withoutInfra.throughput];
    await settle();
    memory.measure('after the lifecycle rows', targets);

    // One runtime at a time holds the pods, so that each RSS is measured with its own pods only.
    const perPod: { t: BenchTarget; pss: number; count: number }[] = [];
    for (const t of targets) {
      const pods = await inParallel(memoryPods, 4, () => startPod(t, false));
      await settle();
      memory.measure(`with ${memoryPods} pods`, [t]);
      const monitors = t.monitors();
      perPod.push({ t, pss: monitors.reduce((sum, p) => sum + pssOf(p), 0) / memoryPods, count: monitors.length });
      await inParallel(pods.length, 4, (i) => removePod(t, pods[i]!));
    }
    const perPodWhat = `PSS per pod of ${perPod.map(({ t, count }) => `${t.name}'s ${count} ${t.monitorName}`).join(', ')} at ${memoryPods} pods`;
    for (const { t, pss } of perPod) memory.figure(perPodWhat, t.name, pss);

    tables.push(() =>
      printTable(
        `Pod lifecycle (${runs} runs per row at 1 in parallel, ${runs * 4} at 4; medians in ms; floor = unshare + CNI bridge + runc directly, interleaved with the 1-parallel runs${others.length > 0 ? ` of ${targets.map((t) => t.name).join(' and ')}` : ''})`,
        [
          'operation',
          'criod (1 parallel)',
          'criod (4 parallel, per op)',
          'floor',
          'criod / floor',
          ...others.flatMap((o) => [`${o.name} (1 parallel)`, `${o.name} (4 parallel)`, `criod / ${o.name}`]),
        ],
        rows,
      ),
    );
    const cores = availableParallelism();
    tables.push(() =>
      printTable(
        `Throughput of whole lifecycles, 1 and 4 in parallel (cores busy: the machine's CPU time, every process and the kernel, per second of wall time, from /proc/stat; ${cores} cores; the bound is the speedup the cores left idle at 1 allow)`,
        ['who', 'per s at 1', 'per s at 4', 'speedup', 'cores busy at 1', 'cores busy at 4', 'CPU ms per lifecycle at 1', 'at 4', 'bound'],
        throughput.map(({ name, serial, parallel }) => [
          name,
          serial.perSecond,
          parallel.perSecond,
          ratio(parallel.perSecond, serial.perSecond),
          serial.coresBusy.toFixed(2),
          parallel.coresBusy.toFixed(2),
          serial.busyMs / serial.runs,
          parallel.busyMs / parallel.runs,
          ratio(cores, serial.coresBusy),
        ]),
      ),
    );
    tables.push(() =>
      printTable(
        `gRPC layer (${rpcCalls} sequential calls each, interleaved; the client is grpc-js; the last row is a node process with criod's flags serving Version with grpc-js and nothing else)`,
        ['call', 'p50 (µs)', 'p99 (µs)'],
        versionOf.map(([name], k) => [`Version round trip, ${name}`, median(version[k]!) * 1000, quantile(version[k]!, 0.99) * 1000]),
      ),
    );
  }

  const withLoadPods = `with ${loadPods} pods, for the calls`;
  const loadSamples = new Map<BenchTarget, (number[] | undefined)[]>();
  for (const t of targets) {
    const made = await inParallel(loadPods, 4, () => startPod(t, false));
    await settle();
    memory.measure(withLoadPods, [t]);
    const samples: (number[] | undefined)[] = [];
    for (const [, call] of loadCalls) samples.push(await sample((i) => call(t, made[i % made.length]!)));
    loadSamples.set(t, samples);
    await inParallel(made.length, 4, (i) => removePod(t, made[i]!));
  }
  const loadTitle = `Calls at ${loadPods} pods with a running container each (${calls} sequential calls per row; ms; RSS with the pods: ${targets.map((t) => `${t.name} ${memory.rss(withLoadPods, t.name).toFixed(1)} MB`).join(', ')})`;
  tables.push(() =>
    printTable(
      loadTitle,
      ['call', ...targets.flatMap((t) => [`${t.name} p50`, 'p99', 'max'])],
      loadCalls.map(([name], row) => [
        name,
        ...targets.flatMap((t): (string | number)[] => {
          const s = loadSamples.get(t)![row];
          return s ? [median(s), quantile(s, 0.99), Math.max(...s)] : ['n/a', 'n/a', 'n/a'];
        }),
      ]),
    ),
  );

  if (!onlyLoad) {
    const took: string[] = [];
    for (const t of targets) {
      const growth = await timeIt(() => inParallel(lifecycles, 4, (i) => podLifecycle(t, i % 2 === 0)));
      took.push(`${targets.length > 1 ? `${t.name} ` : ''}${(growth / 1000).toFixed(0)} s`);
    }
    await settle();
    memory.measure(`after ${lifecycles} more lifecycles (4 at a time, half with infra; ${took.join(', ')})`, targets);
  }
  tables.push(() =>
    memory.print(
      'Memory (MB; RSS of each daemon: anon = heap and other private memory, file = its binary and libraries; 1-minute load average at the measure)',
      targets.map((t) => t.name),
    ),
  );

  const checked: string[] = [];
  for (const t of targets) {
    const left = await t.leftBehind();
    checked.push(`${t.name}: ${left.checked.join(', ')}`);
    leftovers.push(...left.found.map((f) => `${t.name} ${f}`));
  }
  for (const print of tables) print();
  console.log(`\ncriod ran as: GLIBC_TUNABLES=${criodEnv.GLIBC_TUNABLES} node ${criodNodeFlags.join(' ')} criod.js`);
  for (const t of targets) {
    const v = await t.client.runtime.version({ version: '0.1.0' });
    console.log(`${t.name} answers Version with ${v.runtimeName} ${v.runtimeVersion} (CRI ${v.runtimeApiVersion})`);
  }
  console.log(`load average (1 5 15 min): ${loadAtStart} at the start, ${loadAverage()} at the end`);
  console.log(leftovers.length === 0 ? `left behind: nothing (checked ${checked.join('; ')})` : `LEFT BEHIND:\n  ${leftovers.join('\n  ')}`);
} finally {
  await floor?.cleanup();
  // containerd's dir is inside criod's: it goes first.
  for (const t of [...targets].reverse()) {
    await t.cleanup().catch((err: unknown) => {
      console.error(`cleanup of ${t.name} failed:`, err);
      leftovers = [...leftovers, `${t.name} cleanup failed`];
    });
  }
  await images.stop();
}
if (leftovers.length > 0) process.exitCode = 1;
