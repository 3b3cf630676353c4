/**
 * The plugin on real bridges, veths and network namespaces (root only). Each test has its own
 * bridge name, a random 10.2xx.y.0/24 subnet, namespaces pinned in its temp dir, and removes
 * them all afterwards; traffic goes only between the host and the pods it made.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger, type NetworkPlugin, type PodNetworkRequest } from '@criod/core';
import { configSchema, plugin, vethName, type NetVethConfig } from './index.js';

const canRun = process.getuid?.() === 0;

interface Env {
  dir: string;
  bridge: string;
  prefix: string;
  config: NetVethConfig;
  namespaces: string[];
}

let env: Env;

beforeEach(async () => {
  const prefix = `10.${randomInt(200, 250)}.${randomInt(0, 255)}`;
  const dir = await mkdtemp(join(tmpdir(), 'net-veth-test-'));
  const bridge = `vtb${randomBytes(4).toString('hex')}`;
  env = { dir, bridge, prefix, namespaces: [], config: configSchema.parse({ bridge, subnet: `${prefix}.0/24`, state_dir: join(dir, 'ips') }) };
});

afterEach(async () => {
  for (const ns of env.namespaces) await execa('umount', [ns], { reject: false });
  await execa('ip', ['link', 'del', env.bridge], { reject: false });
  await rm(env.dir, { recursive: true, force: true });
});

async function newPlugin(over: Partial<NetVethConfig> = {}): Promise<NetworkPlugin> {
  return plugin.create({
    config: { ...env.config, ...over },
    root: env.dir,
    runroot: env.dir,
    logger: silentLogger,
    get: () => {
      throw new Error('no dependencies');
    },
  });
}

/** A network namespace pinned in the test dir, as net-netns pins a pod's. */
async function newNamespace(): Promise<string> {
  const path = join(env.dir, `ns-${randomBytes(4).toString('hex')}`);
  await writeFile(path, '');
  await execa('unshare', [`--net=${path}`, 'true']);
  env.namespaces.push(path);
  return path;
}

async function destroyNamespace(path: string): Promise<void> {
  await execa('umount', [path]);
  await rm(path);
}

function podRequest(netnsPath: string): PodNetworkRequest {
  return {
    podId: randomBytes(32).toString('hex'),
    name: 'web',
    namespace: 'default',
    uid: 'uid',
    netnsPath,
    portMappings: [],
    cgroupParent: '',
    annotations: {},
  };
}

async function bridgePorts(): Promise<string[]> {
  const r = await execa('ip', ['-o', 'link', 'show', 'master', env.bridge], { reject: false });
  return r.exitCode === 0
    ? r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(': ')[1]!.split('@')[0]!)
    : [];
}

const allocated = async () => (await readdir(env.config.state_dir).catch(() => [])).sort();

async function ping(ip: string, fromNetns?: string): Promise<boolean> {
  const args = ['ping', '-c', '1', '-W', '2', ip];
  const r = fromNetns ? await execa('nsenter', [`--net=${fromNetns}`, ...args], { reject: false }) : await execa(args[0]!, args.slice(1), { reject: false });
  return r.exitCode === 0;
}

describe.skipIf(!canRun)('net-veth on a real bridge', () => {
  it('makes the bridge, and gives pods an eth0 with an IP the host and the other pods reach', async () => {
    const net = await newPlugin();
    expect(await net.status()).toEqual({ ready: true, reason: '', message: '' });
    expect((await execa('ip', ['-o', 'addr', 'show', 'dev', env.bridge])).stdout).toContain(`inet ${env.prefix}.1/24`);
    const a = podRequest(await newNamespace());
    const b = podRequest(await newNamespace());
    const [sa, sb] = [await net.setUp(a), await net.setUp(b)];
    expect(sa.ips).toHaveLength(1);
    expect(sa.ips[0]!.startsWith(`${env.prefix}.`)).toBe(true);
    expect(sb.ips[0]).not.toBe(sa.ips[0]);
    expect(net.podInterface).toBe('eth0');
    const inside = (await execa('nsenter', [`--net=${a.netnsPath}`, 'ip', 'route'])).stdout;
    expect(inside).toContain(`default via ${env.prefix}.1 dev eth0`);
    expect(await ping(sa.ips[0]!)).toBe(true);
    expect(await ping(sa.ips[0]!, b.netnsPath)).toBe(true);
    await net.check(a);
    expect((await bridgePorts()).sort()).toEqual([vethName(a.podId), vethName(b.podId)].sort());
    expect(await allocated()).toEqual([...sa.ips, ...sb.ips].sort());
    expect(await net.info!()).toMatchObject({ bridge: env.bridge, subnet: `${env.prefix}.0/24`, gateway: `${env.prefix}.1`, allocatedIps: 2 });
  });

  it('tears down twice, and after the namespace is gone, leaving no veth and no IP', async () => {
    const net = await newPlugin();
    const a = podRequest(await newNamespace());
    const b = podRequest(await newNamespace());
    await net.setUp(a);
    await net.setUp(b);
    await net.tearDown(a);
    await net.tearDown(a);
    await destroyNamespace(b.netnsPath);
    await net.tearDown(b);
    expect(await bridgePorts()).toEqual([]);
    expect(await allocated()).toEqual([]);
    await expect(net.check(a)).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('leaves nothing when the setup fails, and says what failed', async () => {
    const net = await newPlugin();
    const notANamespace = join(env.dir, 'plain-file');
    await writeFile(notANamespace, '');
    await expect(net.setUp(podRequest(notANamespace))).rejects.toMatchObject({
      code: 'Internal',
      message: expect.stringContaining(`attaching it to bridge ${env.bridge} failed`),
    });
    await expect(net.setUp(podRequest('relative/ns'))).rejects.toMatchObject({ code: 'InvalidArgument' });
    expect(await bridgePorts()).toEqual([]);
    expect(await allocated()).toEqual([]);
  });

  it('sets up pods in parallel with distinct IPs, all on the bridge', async () => {
    const net = await newPlugin();
    const reqs = await Promise.all(Array.from({ length: 8 }, async () => podRequest(await newNamespace())));
    const ips = (await Promise.all(reqs.map((r) => net.setUp(r)))).map((s) => s.ips[0]);
    expect(new Set(ips).size).toBe(8);
    expect(await bridgePorts()).toHaveLength(8);
    await Promise.all(reqs.map((r) => net.tearDown(r)));
    expect(await bridgePorts()).toEqual([]);
    expect(await allocated()).toEqual([]);
  });

  it('keeps the IPs of live pods across a restart and frees those of pods whose veth is gone', async () => {
    const first = await newPlugin();
    const live = podRequest(await newNamespace());
    const gone = podRequest(await newNamespace());
    const ip = (await first.setUp(live)).ips[0]!;
    await first.setUp(gone);
    await destroyNamespace(gone.netnsPath);
    await first.close?.();

    const second = await newPlugin();
    expect(await allocated()).toEqual([ip]);
    await second.check(live);
    expect(await ping(ip)).toBe(true);
    await second.tearDown(live);
    await second.tearDown(gone);
    expect(await allocated()).toEqual([]);
  });

  it('makes the bridge again when it was deleted behind its back', async () => {
    const net = await newPlugin();
    await net.setUp(podRequest(await newNamespace()));
    await execa('ip', ['link', 'del', env.bridge]);
    const { ips } = await net.setUp(podRequest(await newNamespace()));
    expect(await ping(ips[0]!)).toBe(true);
  });
});
