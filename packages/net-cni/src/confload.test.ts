import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NetworkPlugin } from '@criod/core';
import { configSchema, loadNetwork, parseNetworkConf, plugin, resultIps } from './index.js';
import { pluginStdin, capabilityArgs } from './runtime.js';
import { TempDirs, createNetwork, eventually, podRequest, writeScript } from './__tests__/helpers.js';

const tmp = new TempDirs();
const nets: NetworkPlugin[] = [];

afterEach(async () => {
  for (const n of nets.splice(0)) await n.close?.();
  await tmp.cleanup();
});

const conflist = (name: string, types = ['bridge']) => JSON.stringify({ cniVersion: '1.0.0', name, plugins: types.map((type) => ({ type })) });

/** A plugin dir with do-nothing binaries of the given types, and a conf dir. */
async function setup(types = ['bridge', 'portmap']) {
  const base = await tmp.make();
  const pluginDir = join(base, 'bin');
  const confDir = join(base, 'net.d');
  await mkdir(pluginDir);
  await mkdir(confDir);
  for (const t of types) await writeScript(join(pluginDir, t), '#!/bin/sh\nexit 0\n');
  return { base, pluginDir, confDir };
}

describe('config schema', () => {
  it('parses {} to the defaults', () => {
    expect(configSchema.parse({})).toEqual({
      conf_dir: '/etc/cni/net.d',
      plugin_dirs: ['/opt/cni/bin', '/usr/lib/cni'],
      cache_dir: '',
      default_network: '',
      plugin_timeout_seconds: 60,
      conf_template: '',
      ip_ranges: [],
    });
    expect(plugin.kind).toBe('network');
    expect(plugin.configSection).toBe('network');
    expect(() => configSchema.parse({ bogus: 1 })).toThrow();
  });
});

describe('loading the conf dir', () => {
  it('takes the lowest-sorted file', async () => {
    const { confDir } = await setup();
    await writeFile(join(confDir, '20-b.conflist'), conflist('bnet'));
    await writeFile(join(confDir, '10-a.conflist'), conflist('anet'));
    await writeFile(join(confDir, '05-ignored.txt'), 'not a config');
    const r = await loadNetwork(confDir);
    expect(r.ok && r.network.list.name).toBe('anet');
    expect(r.ok && r.network.file).toBe(join(confDir, '10-a.conflist'));
  });

  it('wraps a .conf file into a one-plugin list, as libcni does', async () => {
    const { confDir } = await setup();
    const conf = { cniVersion: '0.4.0', name: 'single', type: 'bridge', bridge: 'cni9', ipam: { type: 'host-local' } };
    await writeFile(join(confDir, '10-single.conf'), JSON.stringify(conf));
    const r = await loadNetwork(confDir);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.network.list).toEqual({ cniVersion: '0.4.0', name: 'single', plugins: [conf] });
  });

  it('reads .json files as single-plugin configs', async () => {
    const { confDir } = await setup();
    await writeFile(join(confDir, '10-x.json'), JSON.stringify({ cniVersion: '1.0.0', name: 'jnet', type: 'bridge' }));
    const r = await loadNetwork(confDir);
    expect(r.ok && r.network.list.plugins.map((p) => p.type)).toEqual(['bridge']);
    await writeFile(join(confDir, '10-x.json'), conflist('jlist'));
    const r2 = await loadNetwork(confDir);
    expect(r2.ok).toBe(false);
    expect(!r2.ok && r2.message).toMatch(/10-x\.json: type: .*name a list \.conflist/);
  });

  it('validates and names the file and the problem', () => {
    expect(() => parseNetworkConf('/x/10-a.conflist', '{"cniVersion":"1.0.0","name":"n","plugins":[{}]}')).toThrow(/^\/x\/10-a\.conflist: plugins\.0\.type: /);
    expect(() => parseNetworkConf('/x/10-a.conflist', '{"name":"n","plugins":[{"type":"bridge"}]}')).toThrow(/10-a\.conflist: cniVersion: /);
    expect(() => parseNetworkConf('/x/10-a.conflist', '{"cniVersion":"1.0.0","plugins":[{"type":"bridge"}]}')).toThrow(/10-a\.conflist: name: /);
    expect(() => parseNetworkConf('/x/10-a.conflist', '{"cniVersion":"1.0.0","name":"n","plugins":[]}')).toThrow(/plugins: must list at least one plugin/);
    expect(() => parseNetworkConf('/x/10-a.conflist', '{oops')).toThrow(/^\/x\/10-a\.conflist: invalid JSON: /);
    expect(() => parseNetworkConf('/x/a.conflist', '{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"../evil"}]}')).toThrow(/plugins\.0\.type/);
    const l = parseNetworkConf('/x/a.conflist', '{"cniVersion":"1.0.0","name":"n","disableCheck":"True","plugins":[{"type":"b"}]}');
    expect(l.disableCheck).toBe(true);
  });

  it('picks the network named by default_network', async () => {
    const { confDir } = await setup();
    await writeFile(join(confDir, '10-a.conflist'), conflist('anet'));
    await writeFile(join(confDir, '20-b.conflist'), conflist('bnet'));
    await writeFile(join(confDir, '30-c.conf'), JSON.stringify({ cniVersion: '1.0.0', name: 'cnet', type: 'bridge' }));
    const b = await loadNetwork(confDir, 'bnet');
    expect(b.ok && b.network.file).toBe(join(confDir, '20-b.conflist'));
    const c = await loadNetwork(confDir, 'cnet');
    expect(c.ok && c.network.list.name).toBe('cnet');
    const none = await loadNetwork(confDir, 'nope');
    expect(none.ok).toBe(false);
    expect(!none.ok && none.message).toBe(`no CNI network named "nope" found in ${confDir}`);
  });

  it('uses default_network in the plugin', async () => {
    const { base, pluginDir, confDir } = await setup();
    await writeFile(join(confDir, '10-a.conflist'), conflist('anet'));
    await writeFile(join(confDir, '20-b.conflist'), conflist('bnet'));
    const net = await createNetwork({ conf_dir: confDir, plugin_dirs: [pluginDir], default_network: 'bnet' }, base);
    nets.push(net);
    expect((await net.status()).ready).toBe(true);
    expect(await net.info?.()).toMatchObject({ network: 'bnet', networkFile: join(confDir, '20-b.conflist') });
  });

  it('treats a missing dir as no config', async () => {
    const r = await loadNetwork('/nonexistent/criod-cni-test');
    expect(r).toEqual({ ok: false, message: 'no CNI network config found in /nonexistent/criod-cni-test', files: [] });
  });
});

describe('plugin readiness', () => {
  it('create() fails naming the dirs when no plugin dir exists', async () => {
    const base = await tmp.make();
    await expect(createNetwork({ plugin_dirs: [join(base, 'a'), join(base, 'b')], conf_dir: base }, base)).rejects.toThrow(
      new RegExp(`${join(base, 'a')}, ${join(base, 'b')}.*apt-get install containernetworking-plugins`),
    );
  });

  it('is not ready with no config, and turns ready when a file appears', async () => {
    const { base, pluginDir, confDir } = await setup();
    const net = await createNetwork({ conf_dir: confDir, plugin_dirs: [pluginDir] }, base);
    nets.push(net);
    expect(await net.status()).toEqual({
      ready: false,
      reason: 'NetworkPluginNotReady',
      message: `no CNI network config found in ${confDir}`,
    });
    await writeFile(join(confDir, '10-a.conflist'), conflist('anet'));
    expect(await eventually(async () => (await net.status()).ready, 5000)).toBe(true);
    expect(await net.info?.()).toMatchObject({ confDir, network: 'anet', networkFile: join(confDir, '10-a.conflist'), pluginDirs: [pluginDir] });

    // a lower-sorted file takes over, a broken one makes it not ready, naming the file
    await writeFile(join(confDir, '05-broken.conflist'), '{"cniVersion":"1.0.0","name":"x","plugins":[{"typo":"bridge"}]}');
    expect(await eventually(async () => !(await net.status()).ready, 5000)).toBe(true);
    const st = await net.status();
    expect(st.reason).toBe('NetworkPluginNotReady');
    expect(st.message).toContain(join(confDir, '05-broken.conflist'));
    expect(st.message).toContain('plugins.0.type');

    await rm(join(confDir, '05-broken.conflist'));
    expect(await eventually(async () => (await net.status()).ready, 5000)).toBe(true);

    // all files removed: not ready again
    await rm(join(confDir, '10-a.conflist'));
    expect(await eventually(async () => !(await net.status()).ready, 5000)).toBe(true);
    expect((await net.status()).message).toBe(`no CNI network config found in ${confDir}`);
  });

  it('follows a conf dir that is created later (polling)', async () => {
    const { base, pluginDir } = await setup();
    const confDir = join(base, 'later', 'net.d');
    const net = await createNetwork({ conf_dir: confDir, plugin_dirs: [join(base, 'missing'), pluginDir] }, base);
    nets.push(net);
    expect((await net.status()).message).toBe(`no CNI network config found in ${confDir}`);
    await mkdir(confDir, { recursive: true });
    await writeFile(join(confDir, '10-a.conflist'), conflist('anet'));
    expect(await eventually(async () => (await net.status()).ready, 6000)).toBe(true);
    // and keeps following it once it exists (now by fs.watch)
    await rm(join(base, 'later'), { recursive: true });
    expect(await eventually(async () => !(await net.status()).ready, 6000)).toBe(true);
    await mkdir(confDir, { recursive: true });
    await writeFile(join(confDir, '10-b.conflist'), conflist('bnet'));
    expect(await eventually(async () => (await net.info?.())?.network === 'bnet', 6000)).toBe(true);
  });

  it('is not ready when a plugin binary of the network is missing', async () => {
    const { base, pluginDir, confDir } = await setup(['bridge']);
    await writeFile(join(confDir, '10-a.conflist'), conflist('anet', ['bridge', 'portmap']));
    const net = await createNetwork({ conf_dir: confDir, plugin_dirs: [pluginDir] }, base);
    nets.push(net);
    const st = await net.status();
    expect(st.ready).toBe(false);
    expect(st.message).toContain('"portmap"');
    expect(st.message).toContain(pluginDir);
  });

  it('stops watching on close()', async () => {
    const { base, pluginDir, confDir } = await setup();
    const net = await createNetwork({ conf_dir: confDir, plugin_dirs: [pluginDir] }, base);
    await net.close?.();
    expect(await net.info?.()).toMatchObject({ watch: 'closed' });
    await writeFile(join(confDir, '10-a.conflist'), conflist('anet'));
    await new Promise((r) => setTimeout(r, 500));
    expect((await net.status()).ready).toBe(false);
  });
});

describe('results and runtime config', () => {
  it('reads IPs of 1.0, 0.4 and 0.2 results, IPv4 first', () => {
    expect(
      resultIps({
        cniVersion: '1.0.0',
        interfaces: [{ name: 'cni0' }, { name: 'veth1' }, { name: 'eth0', sandbox: '/run/netns/x' }],
        ips: [
          { address: 'fd00::5/64', interface: 2 },
          { address: '10.1.0.5/24', interface: 2, gateway: '10.1.0.1' },
          { address: '10.9.9.9/32', interface: 0 },
        ],
      }),
    ).toEqual(['10.1.0.5', 'fd00::5']);
    expect(resultIps({ cniVersion: '0.4.0', ips: [{ version: '4', address: '10.1.0.6/24' }] })).toEqual(['10.1.0.6']);
    expect(resultIps({ cniVersion: '0.2.0', ip4: { ip: '10.1.0.7/24' }, ip6: { ip: 'fd00::7/64' } })).toEqual(['10.1.0.7', 'fd00::7']);
    expect(resultIps({})).toEqual([]);
  });

  it('passes only declared capabilities in runtimeConfig, with the list name and version', () => {
    const req = podRequest('/run/netns/x', {
      portMappings: [
        { protocol: 'tcp', containerPort: 80, hostPort: 8080, hostIp: '' },
        { protocol: 'udp', containerPort: 53, hostPort: 0, hostIp: '' },
      ],
      dns: { servers: ['10.0.0.10'], searches: ['svc.cluster.local'], options: ['ndots:5'] },
      annotations: { 'kubernetes.io/ingress-bandwidth': '10M' },
    });
    const caps = capabilityArgs(req, []);
    expect(caps).toEqual({
      portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '' }],
      dns: { servers: ['10.0.0.10'], searches: ['svc.cluster.local'], options: ['ndots:5'] },
      bandwidth: { ingressRate: 10_000_000, ingressBurst: 2147483647 },
    });
    const list = { cniVersion: '1.0.0', name: 'net', plugins: [] };
    const stdin = JSON.parse(pluginStdin(list, { type: 'portmap', name: 'other', capabilities: { portMappings: true, bandwidth: false } }, { ips: [] }, caps));
    expect(stdin).toEqual({
      type: 'portmap',
      name: 'net',
      cniVersion: '1.0.0',
      capabilities: { portMappings: true, bandwidth: false },
      prevResult: { ips: [] },
      runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '' }] },
    });
    expect(JSON.parse(pluginStdin(list, { type: 'bridge' }, undefined, caps))).toEqual({ type: 'bridge', name: 'net', cniVersion: '1.0.0' });
    const rates = capabilityArgs(podRequest('', { annotations: { 'kubernetes.io/ingress-bandwidth': '1Gi', 'kubernetes.io/egress-bandwidth': '1500m' } }), []);
    expect(rates.bandwidth).toMatchObject({ ingressRate: 2 ** 30, egressRate: 2 });
    expect(() => capabilityArgs(podRequest('', { annotations: { 'kubernetes.io/egress-bandwidth': 'fast' } }), [])).toThrow(/kubernetes.io\/egress-bandwidth/);
  });
});
