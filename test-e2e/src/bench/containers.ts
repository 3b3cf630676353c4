/**
 * CreateContainer / StartContainer / StopContainer / RemoveContainer / ExecSync through the
 * socket, next to the floor in the same run: runc create / start / kill (until stopped) /
 * delete and runc exec called directly on a busybox bundle.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cri } from '@criod/cri-grpc';
import { execa } from 'execa';
import { containerConfig, removeCgroupParent } from '../containers.js';
import { startCriod, uniqueName } from '../harness.js';
import { startTestImages } from '../images.js';
import { deleteBridge, writeBridgeNetwork } from '../network.js';
import { podConfig } from '../pods.js';
import { printTable, timeIt } from './stats.js';

function busyboxBundle(dir: string): string {
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  for (const d of ['proc', 'sys', 'dev', 'tmp', 'etc']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'sleep', 'true']) symlinkSync('busybox', join(rootfs, 'bin', a));
  return rootfs;
}

async function runcFloor(runs: number, cgroupParent: string) {
  const dir = mkdtempSync(join(tmpdir(), 'criod-bench-runc-'));
  const root = join(dir, 'state');
  const create: number[] = [];
  const start: number[] = [];
  const stop: number[] = [];
  const remove: number[] = [];
  const exec: number[] = [];
  try {
    busyboxBundle(dir);
    await execa('runc', ['spec', '--bundle', dir]);
    const spec = JSON.parse((await execa('cat', [join(dir, 'config.json')])).stdout) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    spec.process.terminal = false;
    spec.process.args = ['sleep', '3600'];
    spec.root.readonly = false;
    const runc = (...args: string[]) => execa('runc', ['--root', root, ...args], { stdio: 'ignore' });
    for (let i = 0; i < runs; i++) {
      const id = `bench-${i}`;
      spec.linux.cgroupsPath = `${cgroupParent}/floor-${i}`;
      writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
      create.push(await timeIt(() => runc('create', '--bundle', dir, id)));
      start.push(await timeIt(() => runc('start', id)));
      exec.push(await timeIt(() => runc('exec', id, 'true')));
      stop.push(
        await timeIt(async () => {
          await runc('kill', id, 'KILL');
          for (;;) {
            const st = await execa('runc', ['--root', root, 'state', id], { reject: false });
            if (st.exitCode !== 0 || (JSON.parse(st.stdout) as { status: string }).status === 'stopped') break;
            await new Promise((r) => setTimeout(r, 5));
          }
        }),
      );
      remove.push(await timeIt(() => runc('delete', id)));
    }
  } finally {
    for (let i = 0; i < runs; i++) await execa('runc', ['--root', root, 'delete', '--force', `bench-${i}`], { reject: false });
    rmSync(dir, { recursive: true, force: true });
  }
  return { create, start, stop, remove, exec };
}

export async function benchContainers(runs: number): Promise<void> {
  const images = await startTestImages();
  const criod = await startCriod({ config: { log_level: 'warn' } });
  const net = writeBridgeNetwork(criod.dir);
  const cgroupParent = `/${uniqueName('criod-bench-')}`;
  try {
    await new Promise((r) => setTimeout(r, 300));
    await criod.client.image.pullImage({ image: cri.ImageSpec.fromPartial({ image: images.busybox }), auth: undefined, sandboxConfig: undefined });
    const pod = podConfig({ logDirectory: join(criod.dir, 'logs') });
    pod.linux!.cgroupParent = cgroupParent;
    const { podSandboxId } = await criod.client.runtime.runPodSandbox({ config: pod, runtimeHandler: '' });
    const rt = criod.client.runtime;
    const create: number[] = [];
    const start: number[] = [];
    const stop: number[] = [];
    const remove: number[] = [];
    const exec: number[] = [];
    for (let i = 0; i < runs; i++) {
      let containerId = '';
      const config = containerConfig(images.busybox, ['sleep', '3600']);
      create.push(await timeIt(async () => (containerId = (await rt.createContainer({ podSandboxId, config, sandboxConfig: undefined })).containerId)));
      start.push(await timeIt(() => rt.startContainer({ containerId })));
      exec.push(await timeIt(() => rt.execSync({ containerId, cmd: ['true'], timeout: 10n })));
      stop.push(await timeIt(() => rt.stopContainer({ containerId, timeout: 0n })));
      remove.push(await timeIt(() => rt.removeContainer({ containerId })));
    }
    await rt.removePodSandbox({ podSandboxId });
    const floor = await runcFloor(runs, cgroupParent);
    printTable(`Containers (${runs} runs each, through the CRI socket vs. runc called directly on a busybox bundle)`, [
      { operation: 'CreateContainer', criod: create, floor: floor.create },
      { operation: 'StartContainer', criod: start, floor: floor.start },
      { operation: 'StopContainer (timeout 0)', criod: stop, floor: floor.stop },
      { operation: 'RemoveContainer', criod: remove, floor: floor.remove },
      { operation: 'ExecSync (true)', criod: exec, floor: floor.exec },
    ]);
  } finally {
    await criod.cleanup().finally(async () => {
      await deleteBridge(net);
      await images.stop();
      removeCgroupParent(cgroupParent);
    });
  }
}
