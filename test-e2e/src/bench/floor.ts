/**
 * The floor of a pod lifecycle: what criod does, done directly with the same tools in the same
 * run. A pod is a netns pinned by `unshare` plus a CNI bridge ADD (and, for a pod sharing one
 * PID namespace, runc create + start of a pause bundle in it); its container is runc create +
 * start of a busybox bundle joining those namespaces; stop is runc kill + polling runc state,
 * remove is runc delete; the pod goes with CNI DEL and unpinning.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { TestNetwork } from '../network.js';
import type { LifecycleTimes } from './lifecycle.js';
import { timeIt } from './stats.js';

type OciSpec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Floor {
  lifecycle(i: number, infra: boolean): Promise<LifecycleTimes>;
  /** Remove whatever a failed lifecycle left: runc containers, netns pins. */
  cleanup(): Promise<void>;
}

function busyboxRootfs(rootfs: string): void {
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  for (const d of ['proc', 'sys', 'dev', 'tmp', 'etc']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'sleep']) symlinkSync('busybox', join(rootfs, 'bin', a));
}

async function cni(command: 'ADD' | 'DEL', conf: Record<string, unknown>, id: string, netns: string): Promise<void> {
  const r = await execa('/usr/lib/cni/bridge', [], {
    input: JSON.stringify(conf),
    reject: false,
    env: { CNI_COMMAND: command, CNI_CONTAINERID: id, CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni' },
  });
  if (r.exitCode !== 0) throw new Error(`bridge ${command}: ${r.stdout} ${r.stderr}`);
}

/** A floor working in `dir`, on the bench's CNI network and under its cgroup parent. */
export async function makeFloor(dir: string, net: TestNetwork, cgroupParent: string): Promise<Floor> {
  const rootfs = join(dir, 'rootfs');
  const state = join(dir, 'runc');
  const pins = join(dir, 'netns');
  busyboxRootfs(rootfs);
  mkdirSync(pins, { recursive: true });
  await execa('runc', ['spec', '--bundle', dir]);
  const template = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as OciSpec;
  rmSync(join(dir, 'config.json'));
  const list = JSON.parse(readFileSync(net.confFile, 'utf8')) as { cniVersion: string; name: string; plugins: Record<string, unknown>[] };
  const conf = { cniVersion: list.cniVersion, name: list.name, ...list.plugins[0] };
  const runc = (...args: string[]) => execa('runc', ['--root', state, ...args], { stdio: 'ignore' });

  /** A bundle dir whose config joins the pod's netns (and the infra's PID namespace, when given). */
  const bundle = (id: string, args: string[], netns: string, pidns?: string): string => {
    const spec = structuredClone(template);
    spec.root = { path: rootfs, readonly: true };
    spec.process.terminal = false;
    spec.process.args = args;
    spec.linux.cgroupsPath = `${cgroupParent}/floor-${id}`;
    spec.linux.namespaces = (spec.linux.namespaces as { type: string }[]).map((ns) =>
      ns.type === 'network' ? { type: 'network', path: netns } : ns.type === 'pid' && pidns ? { type: 'pid', path: pidns } : ns,
    );
    const b = join(dir, 'bundles', id);
    mkdirSync(b, { recursive: true });
    writeFileSync(join(b, 'config.json'), JSON.stringify(spec));
    return b;
  };
  const killAndWait = async (id: string) => {
    await runc('kill', id, 'KILL');
    for (;;) {
      const st = await execa('runc', ['--root', state, 'state', id], { reject: false });
      if (st.exitCode !== 0 || (JSON.parse(st.stdout) as { status: string }).status === 'stopped') return;
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const infraPid = async (id: string) => (JSON.parse((await execa('runc', ['--root', state, 'state', id])).stdout) as { pid: number }).pid;

  return {
    async lifecycle(i, infra) {
      const podId = `floor${i}`;
      const pin = join(pins, podId);
      const t0 = process.hrtime.bigint();
      const run = await timeIt(async () => {
        writeFileSync(pin, '');
        await execa('unshare', [`--net=${pin}`, 'ip', 'link', 'set', 'lo', 'up']);
        await cni('ADD', conf, podId, pin);
        if (infra) {
          await runc('create', '--bundle', bundle(`${podId}-infra`, ['sleep', '2147483647'], pin), `${podId}-infra`);
          await runc('start', `${podId}-infra`);
        }
      });
      const pidns = infra ? `/proc/${await infraPid(`${podId}-infra`)}/ns/pid` : undefined;
      const ctr = `${podId}-ctr`;
      const b = bundle(ctr, ['sleep', '3600'], pin, pidns);
      const createStart = await timeIt(async () => {
        await runc('create', '--bundle', b, ctr);
        await runc('start', ctr);
      });
      const stopContainer = await timeIt(() => killAndWait(ctr));
      const removeContainer = await timeIt(() => runc('delete', ctr));
      const stopRemovePod = await timeIt(async () => {
        if (infra) {
          await killAndWait(`${podId}-infra`);
          await runc('delete', `${podId}-infra`);
        }
        await cni('DEL', conf, podId, pin);
        await execa('umount', [pin]);
        rmSync(pin);
      });
      const whole = Number(process.hrtime.bigint() - t0) / 1e6;
      return { run, createStart, stopContainer, removeContainer, stopRemovePod, whole };
    },
    async cleanup() {
      const left = await execa('runc', ['--root', state, 'list', '-q'], { reject: false });
      for (const id of left.stdout.split('\n').filter(Boolean)) await execa('runc', ['--root', state, 'delete', '--force', id], { reject: false });
      for (const name of existsSync(pins) ? readdirSync(pins) : []) {
        const pin = join(pins, name);
        await cni('DEL', conf, name, pin).catch(() => undefined);
        await execa('umount', [pin], { reject: false });
      }
    },
  };
}
