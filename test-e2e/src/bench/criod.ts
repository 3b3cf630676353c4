/** criod as a bench target: the daemon with the node flags under test, on its own bridge network and cgroup parent. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { conmonsMentioning, removeCgroupParent, runcList } from '../containers.js';
import { mountsBelow, startCriod, uniqueName } from '../harness.js';
import type { TestImages } from '../images.js';
import { deleteBridge, writeBridgeNetwork } from '../network.js';
import { leftBehind } from './leftovers.js';
import { removeAllPods, type BenchTarget } from './target.js';

export async function startCriodTarget(images: TestImages, nodeArgs: string[], env: Record<string, string>): Promise<BenchTarget & { dir: string }> {
  const criod = await startCriod({ config: { log_level: 'warn', image: { pause_image: images.pause } }, nodeArgs, env });
  const { dir, client } = criod;
  const net = writeBridgeNetwork(dir);
  const cgroupParent = `/${uniqueName('criod-bench-')}`;
  return {
    name: 'criod',
    dir,
    client,
    image: images.busybox,
    logRoot: join(dir, 'logs'),
    cgroupParent,
    pid: criod.pid()!,
    net,
    monitorName: 'conmon',
    monitors: () => conmonsMentioning(dir),
    leftBehind: () =>
      leftBehind(client, net, cgroupParent, [
        ['netns pins', () => readdirSync(join(dir, 'netns'))],
        ['runc containers', () => runcList(join(dir, 'run', 'runtimes', 'runc'))],
        ['conmons', () => conmonsMentioning(dir).map(String)],
        ['pod records', () => (existsSync(join(dir, 'root', 'pods')) ? readdirSync(join(dir, 'root', 'pods')) : [])],
        ['pod mounts', () => mountsBelow(join(dir, 'run', 'pods'))],
        ['container mounts', () => mountsBelow(join(dir, 'root')).filter((m) => m.includes('containers'))],
      ]),
    async cleanup() {
      try {
        await removeAllPods(client);
        await criod.cleanup();
      } finally {
        await deleteBridge(net);
        removeCgroupParent(cgroupParent);
      }
    },
  };
}
