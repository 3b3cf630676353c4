/**
 * Real plugins (Debian's bridge, host-local, portmap from /usr/lib/cni) in real network
 * namespaces. Each run uses its own netns, bridge name, random 10.2xx.y.0/24 subnet and
 * host-local dataDir; nothing depends on /etc/cni/net.d or /var/lib/cni.
 */
import { spawn } from 'node:child_process';
import { access, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NetworkPlugin, PodNetworkRequest } from '@criod/core';
import { cachePath } from './index.js';
import { TempDirs, createNetwork, eventually, hex, podRequest, writeScript } from './__tests__/helpers.js';

const SYSTEM_PLUGINS = '/usr/lib/cni';
const canRun =
  process.getuid?.() === 0 &&
  (await access(join(SYSTEM_PLUGINS, 'bridge')).then(
    () => true,
    () => false,
  ));

const tmp = new TempDirs();

interface Env {
  id: string;
  netns: string;
  netnsPath: string;
  bridge: string;
  subnetPrefix: string;
  base: string;
  confDir: string;
  cacheDir: string;
  ipamDir: string;
  pluginDir: string;
  networkName: string;
  nets: NetworkPlugin[];
  reqs: PodNetworkRequest[];
}

let env: Env;

async function sh(cmd: string, args: string[]): Promise<string> {
  return (await execa(cmd, args)).stdout;
}

function conflist(e: Env, extra: object[] = [{ type: 'portmap', capabilities: { portMappings: true } }]) {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: e.networkName,
    plugins: [
      {
        type: 'bridge',
        bridge: e.bridge,
        isGateway: true,
        ipMasq: false,
        ipam: { type: 'host-local', ranges: [[{ subnet: `${e.subnetPrefix}.0/24` }]], dataDir: e.ipamDir },
      },
      ...extra,
    ],
  });
}

/** IPs host-local holds for the test network. */
async function allocated(e: Env): Promise<string[]> {
  try {
    return (await readdir(join(e.ipamDir, e.networkName))).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
  } catch {
    return [];
  }
}

/** Host interfaces enslaved to the test bridge (the pods' veths). */
async function bridgePorts(e: Env): Promise<string[]> {
  try {
    const out = await sh('ip', ['-o', 'link', 'show', 'master', e.bridge]);
    return out.split('\n').filter(Boolean);
  } catch {
    return []; // no bridge at all
  }
}

async function newNetwork(e: Env, over: Record<string, unknown> = {}): Promise<NetworkPlugin> {
  const net = await createNetwork(
    { conf_dir: e.confDir, plugin_dirs: [join(e.base, 'no-such-dir'), e.pluginDir, SYSTEM_PLUGINS], cache_dir: e.cacheDir, ...over },
    e.base,
  );
  e.nets.push(net);
  return net;
}

function request(e: Env, over: Partial<PodNetworkRequest> = {}): PodNetworkRequest {
  const r = podRequest(e.netnsPath, over);
  e.reqs.push(r);
  return r;
}

/**
 * Reach the pod IP from the host: a TCP server inside the netns on the pod IP answers "pong".
 * (Traffic goes only to the pod IP this test created.)
 */
async function reachPod(e: Env, ip: string): Promise<string> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = spawn(
    'ip',
    [
      'netns',
      'exec',
      e.netns,
      process.execPath,
      '-e',
      `const s=require('net').createServer(c=>{c.end('pong');s.close()});s.listen(${port},'${ip}',()=>console.log('ready'));setTimeout(()=>process.exit(2),10000).unref()`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) resolve();
      });
      server.on('exit', (code) => reject(new Error(`server exited ${code}`)));
    });
    return await new Promise<string>((resolve, reject) => {
      const sock = connect({ host: ip, port, timeout: 3000 });
      let data = '';
      sock.on('data', (d) => (data += d.toString()));
      sock.on('end', () => resolve(data));
      sock.on('timeout', () => {
        sock.destroy();
        reject(new Error('timeout'));
      });
      sock.on('error', reject);
    });
  } finally {
    server.kill();
  }
}

/**
 * portmap creates shared top-level nat chains on first use and never removes them. When a test
 * made them (they were absent before) and no pod uses them any more, remove them again.
 */
async function portmapChainsExist(): Promise<boolean> {
  return (await execa('iptables', ['-t', 'nat', '-S', 'CNI-HOSTPORT-DNAT'], { reject: false })).exitCode === 0;
}

async function removePortmapChains(): Promise<void> {
  const dnat = await execa('iptables', ['-t', 'nat', '-S', 'CNI-HOSTPORT-DNAT'], { reject: false });
  if (dnat.exitCode !== 0 || dnat.stdout.includes('-A CNI-HOSTPORT-DNAT')) return; // absent, or in use
  const ipt = (...args: string[]) => execa('iptables', ['-t', 'nat', ...args], { reject: false });
  await ipt('-D', 'PREROUTING', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT');
  await ipt('-D', 'OUTPUT', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT');
  await ipt('-D', 'POSTROUTING', '-m', 'comment', '--comment', 'CNI portfwd requiring masquerade', '-j', 'CNI-HOSTPORT-MASQ');
  for (const chain of ['CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-MASQ', 'CNI-HOSTPORT-SETMARK']) {
    await ipt('-F', chain);
    await ipt('-X', chain);
  }
}

async function hasPing(): Promise<boolean> {
  return execa('ping', ['-V']).then(
    () => true,
    () => false,
  );
}

describe.skipIf(!canRun)('with the real bridge/host-local/portmap plugins', () => {
  beforeEach(async () => {
    const id = hex(3);
    const base = await tmp.make();
    env = {
      id,
      netns: `criod-cnitest-${id}`,
      netnsPath: `/run/netns/criod-cnitest-${id}`,
      bridge: `cnt${id}`,
      subnetPrefix: `10.${200 + Math.floor(Math.random() * 55)}.${Math.floor(Math.random() * 256)}`,
      base,
      confDir: join(base, 'net.d'),
      cacheDir: join(base, 'cache'),
      ipamDir: join(base, 'ipam'),
      pluginDir: join(base, 'bin'),
      networkName: `cnitest-${id}`,
      nets: [],
      reqs: [],
    };
    await Promise.all([mkdir(env.confDir), mkdir(env.pluginDir)]);
    await sh('ip', ['netns', 'add', env.netns]);
  });

  afterEach(async () => {
    const e = env;
    // best effort: DEL whatever a failed test left (removes portmap's per-pod iptables chains)
    for (const net of e.nets) {
      for (const r of e.reqs) await net.tearDown(r).catch(() => undefined);
      await net.close?.();
    }
    await execa('ip', ['netns', 'del', e.netns], { reject: false });
    await execa('ip', ['link', 'del', e.bridge], { reject: false });
    await tmp.cleanup();
  });

  it('sets up a reachable pod IP, checks it, and tears it down releasing IP and veth', async () => {
    await writeFile(join(env.confDir, '10-test.conflist'), conflist(env));
    const net = await newNetwork(env);
    expect(await net.status()).toEqual({ ready: true, reason: '', message: '' });
    const req = request(env);

    const { ips } = await net.setUp(req);
    expect(ips).toHaveLength(1);
    const ip = ips[0] as string;
    expect(ip.startsWith(`${env.subnetPrefix}.`)).toBe(true);
    expect(await allocated(env)).toEqual([ip]);
    expect(await bridgePorts(env)).toHaveLength(1);
    const inPod = await sh('ip', ['netns', 'exec', env.netns, 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
    expect(inPod).toContain(`${ip}/24`);
    await access(cachePath(env.cacheDir, req.podId));

    expect(await reachPod(env, ip)).toBe('pong');
    if (await hasPing()) await sh('ping', ['-c1', '-W2', ip]);

    await net.check(req);

    await net.tearDown(req);
    expect(await allocated(env)).toEqual([]);
    expect(await bridgePorts(env)).toEqual([]);
    await expect(access(cachePath(env.cacheDir, req.podId))).rejects.toThrow();
    // idempotent
    await net.tearDown(req);
    await net.tearDown(req);
  });

  it('passes port mappings to portmap through runtimeConfig', async () => {
    await writeFile(join(env.confDir, '10-test.conflist'), conflist(env));
    const net = await newNetwork(env);
    const hadChains = await portmapChainsExist();
    const hostPort = 40000 + Math.floor(Math.random() * 20000);
    const req = request(env, { portMappings: [{ protocol: 'tcp', containerPort: 8080, hostPort, hostIp: '' }] });
    try {
      const { ips } = await net.setUp(req);
      const nat = await sh('iptables-save', ['-t', 'nat']);
      expect(nat).toContain(`--dport ${hostPort}`);
      expect(nat).toContain(`${ips[0]}:8080`);
      await net.tearDown(req);
      expect(await sh('iptables-save', ['-t', 'nat'])).not.toContain(`--dport ${hostPort}`);
      expect(await allocated(env)).toEqual([]);
    } finally {
      await net.tearDown(req).catch(() => undefined);
      if (!hadChains) await removePortmapChains();
    }
  });

  it('DELs from the cache after a restart with an emptied conf dir', async () => {
    const file = join(env.confDir, '10-test.conflist');
    await writeFile(file, conflist(env));
    const first = await newNetwork(env);
    const req = request(env);
    const { ips } = await first.setUp(req);
    expect(await allocated(env)).toEqual(ips);
    await first.close?.();

    await rm(file);
    const second = await newNetwork(env);
    expect((await second.status()).ready).toBe(false);
    await second.tearDown(req);
    expect(await allocated(env)).toEqual([]);
    expect(await bridgePorts(env)).toEqual([]);
    await second.tearDown(req);
  });

  it('DELs from the cache after the conf dir switched to another network', async () => {
    await writeFile(join(env.confDir, '20-test.conflist'), conflist(env));
    const net = await newNetwork(env);
    const req = request(env);
    await net.setUp(req);
    // a lower-sorted, different network appears: the pod's DEL still goes to its own network
    await writeFile(join(env.confDir, '10-other.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: `other-${env.id}`, plugins: [{ type: 'loopback' }] }));
    expect(await eventually(async () => (await net.info?.())?.network === `other-${env.id}`)).toBe(true);
    await net.tearDown(req);
    expect(await allocated(env)).toEqual([]);
    expect(await bridgePorts(env)).toEqual([]);
  });

  it('tears down after the netns is gone, releasing the IP', async () => {
    await writeFile(join(env.confDir, '10-test.conflist'), conflist(env));
    const net = await newNetwork(env);
    const req = request(env);
    await net.setUp(req);
    await sh('ip', ['netns', 'del', env.netns]);
    await net.tearDown(req);
    expect(await allocated(env)).toEqual([]);
    expect(await bridgePorts(env)).toEqual([]);
  });

  it("reports a failing plugin's own message and leaves no veth or IP behind", async () => {
    await writeScript(
      join(env.pluginDir, 'failer'),
      `#!/bin/sh
cat >/dev/null
[ "$CNI_COMMAND" = ADD ] || exit 0
echo '{"cniVersion":"1.0.0","code":100,"msg":"failer refuses","details":"test-induced failure"}'
exit 1
`,
    );
    await writeFile(join(env.confDir, '10-test.conflist'), conflist(env, [{ type: 'failer' }]));
    const net = await newNetwork(env);
    const req = request(env);
    await expect(net.setUp(req)).rejects.toThrow(`CNI plugin failer failed (ADD, network ${env.networkName}): failer refuses: test-induced failure`);
    expect(await allocated(env)).toEqual([]);
    expect(await bridgePorts(env)).toEqual([]);
    const links = await sh('ip', ['netns', 'exec', env.netns, 'ip', '-o', 'link']);
    expect(links).not.toContain('eth0');
    await expect(access(cachePath(env.cacheDir, req.podId))).rejects.toThrow();
    // and the pod can be set up again once the chain is fixed
    await writeFile(join(env.confDir, '10-test.conflist'), conflist(env));
    await (net as unknown as { reload(): Promise<void> }).reload();
    const { ips } = await net.setUp(req);
    expect(await allocated(env)).toEqual(ips);
    await net.tearDown(req);
    expect(await allocated(env)).toEqual([]);
  });

  it('turns ready when a config appears, without recreating the plugin', async () => {
    const net = await newNetwork(env);
    expect(await net.status()).toEqual({
      ready: false,
      reason: 'NetworkPluginNotReady',
      message: `no CNI network config found in ${env.confDir}`,
    });
    await writeFile(join(env.confDir, '10-test.conflist'), conflist(env));
    expect(await eventually(async () => (await net.status()).ready, 5000)).toBe(true);
    const req = request(env);
    const { ips } = await net.setUp(req);
    expect(ips[0]?.startsWith(`${env.subnetPrefix}.`)).toBe(true);
    await net.tearDown(req);
    expect(await allocated(env)).toEqual([]);
  });
});
