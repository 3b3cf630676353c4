/**
 * A private containerd as a bench target (BENCH_CONTAINERD=1): the distribution's containerd 1.6
 * with its CRI plugin, on its own root, state, socket, bridge network and cgroup parent under the
 * bench's temp dir, pulling from the test registry over plain http (a registry mirror), running
 * pods with containerd-shim-runc-v2 and runc (cgroupfs, as criod). Its ttrpc socket sits beside
 * its gRPC socket; debug and metrics listeners are off. The one TCP listener left is the CRI
 * streaming server, which 1.6 always binds, here on 127.0.0.1 at a random port.
 *
 * Two host paths 1.6 uses whatever the config says: shim sockets under /run/containerd/s and the
 * CNI result cache under /var/lib/cni/results. The leftovers check looks at both; the cleanup
 * removes there what a killed shim or a pod without CNI DEL left (named after this containerd's
 * socket and its pods' ids), and /run/containerd itself when this containerd made it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { findExecutable } from '@criod/core';
import { connectCri } from '@criod/cri-grpc';
import { socketAnswers } from 'criod';
import { execa } from 'execa';
import { stringify as toToml } from 'smol-toml';
import { removeCgroupParent, runcDeleteAll, runcList } from '../containers.js';
import { mountsBelow, uniqueName, unmountBelow, waitFor } from '../harness.js';
import type { TestImages } from '../images.js';
import { deleteBridge, writeBridgeNetwork } from '../network.js';
import { leftBehind } from './leftovers.js';
import { removeAllPods, type BenchTarget } from './target.js';

const shimBinary = 'containerd-shim-runc-v2';
const shimSocketDir = '/run/containerd/s';
const cniResultCache = '/var/lib/cni/results';
/** CRI calls run in this containerd namespace. */
const criNamespace = 'k8s.io';

/** The reason containerd cannot be measured here, or undefined when its binaries are installed. */
export async function containerdMissing(): Promise<string | undefined> {
  for (const bin of ['containerd', shimBinary]) if (!(await findExecutable(bin))) return `${bin} not found (apt-get install containerd)`;
  return undefined;
}

/** The containerd config: everything under `dir`, the CRI plugin set up as the bench's criod is. */
function containerdConfig(dir: string, socket: string, images: TestImages, cniConfDir: string): Record<string, unknown> {
  const registry = images.registry.host;
  return {
    version: 2,
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    temp: join(dir, 'tmp'),
    // Fail at start rather than serve without CRI.
    required_plugins: ['io.containerd.grpc.v1.cri'],
    // Snapshotters the CRI plugin will not use here; aufs would even try to load a kernel module.
    disabled_plugins: ['aufs', 'btrfs', 'devmapper', 'zfs'].map((s) => `io.containerd.snapshotter.v1.${s}`),
    grpc: { address: socket },
    ttrpc: { address: `${socket}.ttrpc` },
    debug: { address: '', level: 'warn' },
    metrics: { address: '' },
    plugins: {
      'io.containerd.internal.v1.opt': { path: join(dir, 'opt') },
      'io.containerd.grpc.v1.cri': {
        sandbox_image: images.pause,
        stream_server_address: '127.0.0.1',
        stream_server_port: '0',
        disable_tcp_service: true,
        // This machine may not lower an OOM score (the sandbox's is -998): keep scores at or above containerd's own.
        restrict_oom_score_adj: true,
        // Pod netns pins under the state dir instead of /var/run/netns.
        netns_mounts_under_state_dir: true,
        cni: { bin_dir: '/usr/lib/cni', conf_dir: cniConfDir, max_conf_num: 1 },
        containerd: {
          snapshotter: 'overlayfs',
          default_runtime_name: 'runc',
          runtimes: { runc: { runtime_type: 'io.containerd.runc.v2', options: { SystemdCgroup: false, Root: join(dir, 'runc') } } },
        },
        registry: { mirrors: { [registry]: { endpoint: [`http://${registry}`] } } },
      },
    },
  };
}

function argsOf(pid: string): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return []; // gone
  }
}

/** The shims serving the containerd at `socket` (each is started with `-address <socket>`), and the pod each serves. */
function shimsOf(socket: string): { pid: number; podId: string }[] {
  const out: { pid: number; podId: string }[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    const args = argsOf(pid);
    const arg = (name: string) => args[args.indexOf(name) + 1];
    if (basename(args[0] ?? '') === shimBinary && args.includes('-address') && arg('-address') === socket)
      out.push({ pid: Number(pid), podId: arg('-id') ?? '' });
  }
  return out;
}

/** The socket a shim listens on, named after containerd's socket, the namespace and the shim's id (containerd 1.6 does so). */
const shimSocket = (socket: string, id: string) =>
  join(
    shimSocketDir,
    createHash('sha256')
      .update(join(socket, criNamespace, id))
      .digest('hex'),
  );

const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

/** Start containerd in `<benchDir>/containerd`; its CRI client is connected and its pod network ready when this returns. */
export async function startContainerdTarget(benchDir: string, images: TestImages): Promise<BenchTarget> {
  const dir = join(benchDir, 'containerd');
  const socket = join(dir, 'containerd.sock');
  const runcRoot = join(dir, 'runc', criNamespace);
  const cniConfDir = join(dir, 'cni', 'net.d');
  for (const d of [cniConfDir, join(dir, 'tmp'), join(dir, 'logs')]) mkdirSync(d, { recursive: true });
  const netName = uniqueName('containerd-bench-');
  const net = writeBridgeNetwork(dir, { name: netName });
  const cgroupParent = `/${netName}`;
  const configPath = join(dir, 'config.toml');
  writeFileSync(configPath, toToml(containerdConfig(dir, socket, images, cniConfDir)));

  const madeRunDir = !existsSync('/run/containerd');
  const shimSocketsBefore = new Set(entries(shimSocketDir));
  const ourCniResults = () => entries(cniResultCache).filter((f) => f.startsWith(`${netName}-`));

  const proc = execa((await findExecutable('containerd'))!, ['--config', configPath], { reject: false, stdio: ['ignore', 'ignore', 'pipe'], cleanup: true });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-20_000);
  });
  let exited = false;
  void proc.then(() => {
    exited = true;
  });
  const client = connectCri(socket);

  const stopDaemon = async () => {
    if (exited) return;
    proc.kill('SIGTERM');
    const stopped = await Promise.race([proc.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 15_000))]);
    if (!stopped) {
      proc.kill('SIGKILL');
      await proc;
    }
  };
  /** Every step runs even when one before it failed; the first failure is thrown at the end. */
  const cleanup = async () => {
    const failures: unknown[] = [];
    const leaked: string[] = [];
    const steps: (() => unknown)[] = [
      () => (exited ? undefined : removeAllPods(client)),
      () => client.close(),
      stopDaemon,
      async () => {
        // Shims outlive containerd by design; only those of pods that could not be removed are still here.
        const shims = shimsOf(socket);
        for (const { pid } of shims) process.kill(pid, 'SIGKILL');
        await waitFor('the shims to exit', () => shims.every(({ pid }) => !existsSync(`/proc/${pid}`)));
        leaked.push(...shims.map((s) => s.podId), ...(await runcList(runcRoot)));
      },
      () => runcDeleteAll(runcRoot),
      // What a killed shim and a pod without CNI DEL leave on the host, named by the pod's or container's id.
      () => leaked.forEach((id) => rmSync(shimSocket(socket, id), { force: true })),
      () => leaked.forEach((id) => rmSync(join(cniResultCache, `cni-loopback-${id}-lo`), { force: true })),
      () => unmountBelow(dir),
      () => deleteBridge(net),
      () => removeCgroupParent(cgroupParent),
      () => ourCniResults().forEach((f) => rmSync(join(cniResultCache, f), { force: true })),
      () => rmSync(dir, { recursive: true, force: true }),
      () => {
        if (!madeRunDir) return;
        for (const d of [shimSocketDir, '/run/containerd']) {
          try {
            rmdirSync(d);
          } catch {
            // not empty: a socket the leftovers check reported, or another containerd's
          }
        }
      },
    ];
    for (const step of steps) {
      try {
        await step();
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length > 0) throw failures[0];
  };

  try {
    await waitFor(
      'containerd to serve CRI',
      async () => {
        if (exited) throw new Error(`containerd exited during startup:\n${stderr}`);
        if (!(await socketAnswers(socket))) return false;
        // Until its CRI plugin has initialized, the plugin answers with an error.
        return client.runtime.version({ version: '0.1.0' }).then(
          () => true,
          () => false,
        );
      },
      60_000,
    );
  } catch (err) {
    await cleanup();
    throw err;
  }

  return {
    name: 'containerd',
    client,
    image: images.busybox,
    logRoot: join(dir, 'logs'),
    cgroupParent,
    pid: proc.pid!,
    net,
    monitorName: shimBinary,
    monitors: () => shimsOf(socket).map((s) => s.pid),
    leftBehind: () =>
      leftBehind(client, net, cgroupParent, [
        ['shims', () => shimsOf(socket).map((s) => String(s.pid))],
        ['runc containers', () => runcList(runcRoot)],
        ['netns pins', () => entries(join(dir, 'state', 'io.containerd.grpc.v1.cri', 'netns'))],
        ['mounts', () => [...mountsBelow(join(dir, 'root')), ...mountsBelow(join(dir, 'state'))]],
        ['shim sockets', () => entries(shimSocketDir).filter((s) => !shimSocketsBefore.has(s))],
        ['CNI results', ourCniResults],
      ]),
    cleanup,
  };
}
