/**
 * Chain execution against small recording shell plugins: env, stdin, prevResult threading,
 * order, errors, timeouts, cache. The real-plugin tests are in bridge.test.ts.
 */
import { access, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NetworkPlugin } from '@criod/core';
import { cachePath, readCache } from './index.js';
import { TempDirs, createNetwork, podRequest, writeScript } from './__tests__/helpers.js';

const tmp = new TempDirs();
const nets: NetworkPlugin[] = [];

afterEach(async () => {
  for (const n of nets.splice(0)) await n.close?.();
  await tmp.cleanup();
});

/**
 * A plugin that records each call as `<seq>-<tag>-<CMD>.{stdin,env}` in the log dir and, on ADD,
 * prints `result` (with `$CNI_NETNS` substituted).
 */
function recorder(logDir: string, tag: string, result: object): string {
  const out = JSON.stringify(result).replace(/'/g, '');
  return `#!/bin/sh
d='${logDir}'
n=$(ls "$d" | wc -l)
f="$d/$(printf %03d "$n")-${tag}-$CNI_COMMAND"
cat > "$f.stdin"
env | grep '^CNI_' | sort > "$f.env"
if [ "$CNI_COMMAND" = ADD ]; then
  printf '%s' '${out}' | sed "s#@NETNS@#$CNI_NETNS#g"
fi
exit 0
`;
}

interface Call {
  tag: string;
  cmd: string;
  stdin: Record<string, unknown>;
  env: Record<string, string>;
}

async function calls(logDir: string): Promise<Call[]> {
  const names = (await readdir(logDir)).filter((n) => n.endsWith('.stdin')).sort();
  const out: Call[] = [];
  for (const n of names) {
    const [, tag, cmd] = /^\d+-(.+)-([A-Z]+)\.stdin$/.exec(n) ?? [];
    const base = n.slice(0, -'.stdin'.length);
    const env = Object.fromEntries(
      (await readFile(join(logDir, `${base}.env`), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    out.push({ tag: tag as string, cmd: cmd as string, stdin: JSON.parse(await readFile(join(logDir, n), 'utf8')), env });
  }
  return out;
}

const RESULT_A = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'eth0', sandbox: '@NETNS@' }],
  ips: [
    { address: 'fd00:1::5/64', interface: 0 },
    { address: '10.77.0.5/24', interface: 0, gateway: '10.77.0.1' },
  ],
};
const RESULT_B = { ...RESULT_A, dns: { nameservers: ['10.77.0.1'] } };

async function setup(listExtra: Record<string, unknown> = {}) {
  const base = await tmp.make();
  const pluginDir = join(base, 'bin');
  const confDir = join(base, 'net.d');
  const logDir = join(base, 'log');
  const cacheDir = join(base, 'cache');
  await Promise.all([mkdir(pluginDir), mkdir(confDir), mkdir(logDir)]);
  await writeScript(join(pluginDir, 'rec-a'), recorder(logDir, 'a', RESULT_A));
  await writeScript(join(pluginDir, 'rec-b'), recorder(logDir, 'b', RESULT_B));
  const list = {
    cniVersion: '1.0.0',
    name: 'recnet',
    plugins: [
      { type: 'rec-a', name: 'ignored', cniVersion: '0.0.1', someKey: 1, capabilities: { dns: true } },
      { type: 'rec-b', capabilities: { portMappings: true, bandwidth: true } },
    ],
    ...listExtra,
  };
  await writeFile(join(confDir, '10-rec.conflist'), JSON.stringify(list));
  const net = await createNetwork({ conf_dir: confDir, plugin_dirs: [join(base, 'nobin'), pluginDir], cache_dir: cacheDir }, base);
  nets.push(net);
  return { base, pluginDir, confDir, logDir, cacheDir, net, list };
}

describe('chain execution', () => {
  it('runs ADD in order with env, prevResult and runtimeConfig, and caches the result', async () => {
    const { net, logDir, cacheDir, pluginDir, base, list } = await setup();
    const req = podRequest('/run/netns/fake', {
      portMappings: [{ protocol: 'tcp', containerPort: 80, hostPort: 8080, hostIp: '127.0.0.1' }],
      dns: { servers: ['10.0.0.10'], searches: ['ns.svc'], options: [] },
      annotations: { 'kubernetes.io/egress-bandwidth': '1M' },
    });
    const st = await net.setUp(req);
    expect(st).toEqual({ ips: ['10.77.0.5', 'fd00:1::5'] });

    const c = await calls(logDir);
    expect(c.map((x) => `${x.tag}:${x.cmd}`)).toEqual(['a:ADD', 'b:ADD']);
    const [a, b] = c as [Call, Call];
    expect(a.env).toEqual({
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: req.podId,
      CNI_NETNS: '/run/netns/fake',
      CNI_IFNAME: 'eth0',
      CNI_PATH: `${join(base, 'nobin')}:${pluginDir}`,
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=${req.podId};K8S_POD_UID=${req.uid}`,
    });
    expect(b.env).toEqual(a.env);
    // name and cniVersion come from the list; first plugin has no prevResult
    expect(a.stdin).toEqual({
      type: 'rec-a',
      name: 'recnet',
      cniVersion: '1.0.0',
      someKey: 1,
      capabilities: { dns: true },
      runtimeConfig: { dns: { servers: ['10.0.0.10'], searches: ['ns.svc'], options: [] } },
    });
    const resultA = JSON.parse(JSON.stringify(RESULT_A).replace('@NETNS@', '/run/netns/fake'));
    expect(b.stdin).toEqual({
      type: 'rec-b',
      name: 'recnet',
      cniVersion: '1.0.0',
      capabilities: { portMappings: true, bandwidth: true },
      prevResult: resultA,
      runtimeConfig: {
        portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '127.0.0.1' }],
        bandwidth: { egressRate: 1_000_000, egressBurst: 2147483647 },
      },
    });

    const cached = await readCache(cacheDir, req.podId);
    expect(cached.state).toBe('ok');
    if (cached.state !== 'ok') return;
    expect(cached.entry).toMatchObject({
      podId: req.podId,
      ifName: 'eth0',
      netns: '/run/netns/fake',
      network: 'recnet',
      config: list,
      result: { ...resultA, dns: { nameservers: ['10.77.0.1'] } },
    });
    expect(cached.entry.cniArgs[0]).toEqual(['IgnoreUnknown', '1']);

    // a second setUp of the same pod is refused, not re-ADDed
    await expect(net.setUp(req)).rejects.toThrow(/already attached/);
  });

  it('runs CHECK in order and DEL in reverse with the cached result, from the cached config', async () => {
    const { net, logDir, confDir, cacheDir } = await setup();
    const req = podRequest('/run/netns/fake');
    await net.setUp(req);
    await net.check(req);
    // the conf dir changes: DEL still uses the config the pod was set up with
    await writeFile(join(confDir, '10-rec.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'other', plugins: [{ type: 'rec-a' }] }));
    await net.tearDown(req);
    const c = await calls(logDir);
    expect(c.map((x) => `${x.tag}:${x.cmd}`)).toEqual(['a:ADD', 'b:ADD', 'a:CHECK', 'b:CHECK', 'b:DEL', 'a:DEL']);
    const final = JSON.parse(JSON.stringify(RESULT_B).replace('@NETNS@', '/run/netns/fake'));
    for (const x of c.slice(2)) {
      expect(x.stdin.prevResult).toEqual(final);
      expect(x.stdin.name).toBe('recnet');
    }
    // the netns path is not a live namespace, so DEL names none (CNI_NETNS is optional for DEL)
    expect(c[4]?.env.CNI_NETNS).toBe('');
    expect(c[2]?.env.CNI_NETNS).toBe('/run/netns/fake');
    await expect(access(cachePath(cacheDir, req.podId))).rejects.toThrow();
    // CHECK of a torn-down pod is NotFound
    await expect(net.check(req)).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('tearDown without cache uses the current config, without prevResult; with no config it is a no-op', async () => {
    const { net, logDir, confDir } = await setup();
    const req = podRequest('/run/netns/fake');
    await net.tearDown(req);
    let c = await calls(logDir);
    expect(c.map((x) => `${x.tag}:${x.cmd}`)).toEqual(['b:DEL', 'a:DEL']);
    expect(c[0]?.stdin.prevResult).toBeUndefined();
    expect(c[0]?.env.CNI_ARGS).toContain(`K8S_POD_INFRA_CONTAINER_ID=${req.podId}`);
    await rm(join(confDir, '10-rec.conflist'));
    await (net as unknown as { reload(): Promise<void> }).reload();
    await net.tearDown(req);
    c = await calls(logDir);
    expect(c).toHaveLength(2);
  });

  it('skips CHECK for disableCheck lists and pre-0.4.0 versions, and omits prevResult on 0.3.1 DEL', async () => {
    const { net, logDir } = await setup({ cniVersion: '0.3.1' });
    const req = podRequest('/run/netns/fake');
    await net.setUp(req);
    await net.check(req);
    await net.tearDown(req);
    const c = await calls(logDir);
    expect(c.map((x) => `${x.tag}:${x.cmd}`)).toEqual(['a:ADD', 'b:ADD', 'b:DEL', 'a:DEL']);
    expect(c[2]?.stdin.prevResult).toBeUndefined();
    expect(c[2]?.stdin.cniVersion).toBe('0.3.1');

    const s2 = await setup({ disableCheck: true });
    const req2 = podRequest('/run/netns/fake');
    await s2.net.setUp(req2);
    await s2.net.check(req2);
    expect((await calls(s2.logDir)).map((x) => x.cmd)).toEqual(['ADD', 'ADD']);
  });

  it("returns the plugin's own error message and DELs the whole chain", async () => {
    const { net, logDir, pluginDir, cacheDir } = await setup();
    await writeScript(
      join(pluginDir, 'rec-b'),
      `#!/bin/sh
cat > '${logDir}'/999-b-$CNI_COMMAND.stdin
env | grep '^CNI_' > '${logDir}'/999-b-$CNI_COMMAND.env
[ "$CNI_COMMAND" = DEL ] && exit 0
echo '{"cniVersion":"1.0.0","code":7,"msg":"invalid network config","details":"bridge cni0 is on fire"}'
exit 1
`,
    );
    const req = podRequest('/run/netns/fake');
    await expect(net.setUp(req)).rejects.toThrow('CNI plugin rec-b failed (ADD, network recnet): invalid network config: bridge cni0 is on fire');
    const c = await calls(logDir);
    // a ADD, then DEL for every plugin in reverse, prevResult = the last result obtained
    expect(c.map((x) => `${x.tag}:${x.cmd}`)).toEqual(['a:ADD', 'a:DEL', 'b:ADD', 'b:DEL']);
    const del = c.filter((x) => x.cmd === 'DEL');
    expect(del.map((x) => x.stdin.prevResult)).toEqual([
      JSON.parse(JSON.stringify(RESULT_A).replace('@NETNS@', '/run/netns/fake')),
      JSON.parse(JSON.stringify(RESULT_A).replace('@NETNS@', '/run/netns/fake')),
    ]);
    expect((await readCache(cacheDir, req.podId)).state).toBe('absent');
  });

  it('reports stderr when a plugin fails without a CNI error, and a missing binary by name and dirs', async () => {
    const { net, pluginDir, base } = await setup();
    await writeScript(join(pluginDir, 'rec-a'), '#!/bin/sh\necho "segfault-ish trouble" >&2\nexit 3\n');
    await expect(net.setUp(podRequest('/run/netns/fake'))).rejects.toThrow('CNI plugin rec-a failed (ADD, network recnet): exit code 3: segfault-ish trouble');
    await rm(join(pluginDir, 'rec-b'));
    const err = await net.setUp(podRequest('/run/netns/fake')).catch((e: unknown) => e);
    expect(String(err)).toContain(`CNI plugin binary "rec-b" (network recnet) not found in ${join(base, 'nobin')}, ${pluginDir}`);
    expect((await net.status()).ready).toBe(false);
  });

  it('kills a plugin that runs past the timeout', async () => {
    const base = await tmp.make();
    const pluginDir = join(base, 'bin');
    const confDir = join(base, 'net.d');
    await Promise.all([mkdir(pluginDir), mkdir(confDir)]);
    await writeScript(join(pluginDir, 'slow'), `#!/bin/sh\necho $$ > '${base}'/pid-$CNI_COMMAND\n[ "$CNI_COMMAND" = DEL ] && exit 0\nexec sleep 30\n`);
    await writeFile(join(confDir, '10.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'slow', plugins: [{ type: 'slow' }] }));
    const net = await createNetwork({ conf_dir: confDir, plugin_dirs: [pluginDir], plugin_timeout_seconds: 0.5 }, base);
    nets.push(net);
    const t0 = Date.now();
    const err = await net.setUp(podRequest('/run/netns/fake')).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(err).toMatchObject({ code: 'DeadlineExceeded' });
    expect(String(err)).toContain('CNI plugin slow failed (ADD, network slow): timed out after 0.5s and was killed');
    // the ADD process (exec'd into sleep) is gone, and the rollback DEL ran
    const pid = Number(await readFile(join(base, 'pid-ADD'), 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(access(join(base, 'pid-DEL'))).resolves.toBeUndefined();
  });

  it('refuses setUp when not ready', async () => {
    const base = await tmp.make();
    const net = await createNetwork({ conf_dir: join(base, 'none'), plugin_dirs: [base] }, base);
    nets.push(net);
    await expect(net.setUp(podRequest('/run/netns/fake'))).rejects.toMatchObject({
      code: 'FailedPrecondition',
      message: `CNI network not ready: no CNI network config found in ${join(base, 'none')}`,
    });
    await expect(net.tearDown(podRequest('/run/netns/fake'))).resolves.toBeUndefined();
  });
});
