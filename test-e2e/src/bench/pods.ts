/**
 * RunPodSandbox / StopPodSandbox / RemovePodSandbox through the socket, next to the floor done
 * directly in the same run: pin a netns (unshare), CNI ADD of the bridge plugin; CNI DEL, unpin.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { startCriod } from '../harness.js';
import { deleteBridge, writeBridgeNetwork } from '../network.js';
import { podConfig } from '../pods.js';
import { printTable, timeIt } from './stats.js';

async function cni(command: 'ADD' | 'DEL', conf: Record<string, unknown>, id: string, netns: string): Promise<void> {
  const r = await execa('/usr/lib/cni/bridge', [], {
    input: JSON.stringify(conf),
    reject: false,
    env: { CNI_COMMAND: command, CNI_CONTAINERID: id, CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni' },
  });
  if (r.exitCode !== 0) throw new Error(`bridge ${command}: ${r.stdout} ${r.stderr}`);
}

export async function benchPods(runs: number): Promise<void> {
  const criod = await startCriod({ config: { log_level: 'warn' } });
  const net = writeBridgeNetwork(criod.dir);
  try {
    await new Promise((r) => setTimeout(r, 300));
    const run: number[] = [];
    const stop: number[] = [];
    const remove: number[] = [];
    const floorRun: number[] = [];
    const floorStop: number[] = [];
    const list = JSON.parse(readFileSync(net.confFile, 'utf8')) as { cniVersion: string; name: string; plugins: Record<string, unknown>[] };
    const conf = { cniVersion: list.cniVersion, name: list.name, ...list.plugins[0] };
    const floorDir = join(criod.dir, 'floor-netns');
    mkdirSync(floorDir, { recursive: true });
    // Warm up both paths once (page cache, first CNI run).
    const warm = await criod.client.runtime.runPodSandbox({ config: podConfig(), runtimeHandler: '' });
    await criod.client.runtime.removePodSandbox({ podSandboxId: warm.podSandboxId });
    for (let i = 0; i < runs; i++) {
      let id = '';
      run.push(await timeIt(async () => (id = (await criod.client.runtime.runPodSandbox({ config: podConfig(), runtimeHandler: '' })).podSandboxId)));
      stop.push(await timeIt(() => criod.client.runtime.stopPodSandbox({ podSandboxId: id })));
      remove.push(await timeIt(() => criod.client.runtime.removePodSandbox({ podSandboxId: id })));

      const floorId = `floor${i}`;
      const pin = join(floorDir, floorId);
      floorRun.push(
        await timeIt(async () => {
          writeFileSync(pin, '');
          await execa('unshare', [`--net=${pin}`, 'ip', 'link', 'set', 'lo', 'up']);
          await cni('ADD', conf, floorId, pin);
        }),
      );
      floorStop.push(
        await timeIt(async () => {
          await cni('DEL', conf, floorId, pin);
          await execa('umount', [pin]);
          rmSync(pin);
        }),
      );
    }
    printTable(`Pod sandboxes (${runs} runs each, through the CRI socket vs. unshare + CNI bridge called directly)`, [
      { operation: 'RunPodSandbox', criod: run, floor: floorRun },
      { operation: 'StopPodSandbox', criod: stop, floor: floorStop },
      { operation: 'RemovePodSandbox', criod: remove },
      { operation: 'Stop + Remove', criod: stop.map((s, i) => s + remove[i]!), floor: floorStop },
    ]);
  } finally {
    await criod.cleanup().finally(() => deleteBridge(net));
  }
}
