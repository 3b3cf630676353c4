import { benchContainers } from './containers.js';
import { benchLoad } from './load.js';
import { benchPods } from './pods.js';

// `pnpm bench`: pod and container RPCs against the floor; `pnpm bench load`: 100 pods under kubelet's calls.
if (process.argv[2] === 'load') {
  await benchLoad(Number(process.env.BENCH_PODS ?? 100), Number(process.env.BENCH_CALLS ?? 200));
} else {
  const runs = Number(process.env.BENCH_RUNS ?? 20);
  await benchPods(runs);
  await benchContainers(runs);
}
