import { benchContainers } from './containers.js';
import { benchPods } from './pods.js';

const runs = Number(process.env.BENCH_RUNS ?? 20);
await benchPods(runs);
await benchContainers(runs);
