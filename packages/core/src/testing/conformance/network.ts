/**
 * The network plugin contract as checks: what core relies on when it runs, checks, stops and
 * removes pods, and restores them after a restart.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { NamespacePlugin, NetworkPlugin, PodNetworkRequest } from '../../plugins.js';
import type { PinnedNamespace } from '../../types.js';
import { ensure, ensureReadinessShape, rejectsTyped, scopedCheck, succeeds, type CheckScope, type ConformanceCheck } from './checks.js';

export interface NetworkConformanceSetup {
  /**
   * A new instance of the plugin under test, ready to set pods up. Every call must give an instance
   * over the same config and state dirs: a second call is a criod restart. The kit closes each one.
   */
  create(): Promise<NetworkPlugin>;
  /** Pins the pods' network namespaces (e.g. @criod/net-netns with its dirs in a temp dir). */
  namespaces: NamespacePlugin;
}

/** A pod as kubelet would send it, in a namespace pinned for it. */
export function podNetworkRequest(podId: string, netnsPath: string): PodNetworkRequest {
  return {
    podId,
    name: `conformance-${podId.slice(0, 8)}`,
    namespace: 'default',
    uid: `uid-${podId.slice(0, 16)}`,
    netnsPath,
    portMappings: [],
    cgroupParent: '',
    annotations: {},
  };
}

/** What one check made, undone in reverse when it ends. */
class NetworkFixture {
  /** The newest instance: what tears down, as the one in charge after a restart. */
  private latest?: NetworkPlugin;

  constructor(
    private readonly setup: NetworkConformanceSetup,
    private readonly scope: CheckScope,
  ) {}

  /** A (new) plugin instance; a second one is the plugin after a restart. */
  async plugin(): Promise<NetworkPlugin> {
    const net = await succeeds('create()', this.setup.create());
    this.scope.defer(async () => net.close?.());
    this.latest = net;
    return net;
  }

  /** A pod with its own pinned network namespace; torn down and released when the check ends. */
  async pod(): Promise<{ req: PodNetworkRequest; ns: PinnedNamespace }> {
    const podId = randomBytes(32).toString('hex');
    const pinned = await succeeds('pinning a network namespace', this.setup.namespaces.create(podId, ['net']));
    const ns = pinned.find((p) => p.kind === 'net');
    ensure(ns !== undefined, 'the namespace plugin pinned no network namespace');
    this.scope.defer(() => this.setup.namespaces.release(ns));
    const req = podNetworkRequest(podId, ns.path);
    this.scope.defer(async () => this.latest?.tearDown(req));
    return { req, ns };
  }

  /** A pod whose namespace was never pinned: its netns path names nothing. */
  unpinnedPod(): PodNetworkRequest {
    const podId = randomBytes(32).toString('hex');
    const [ns] = this.setup.namespaces.pinsFor(podId).filter((p) => p.kind === 'net');
    ensure(ns !== undefined, 'pinsFor() named no network namespace');
    const req = podNetworkRequest(podId, ns.path);
    this.scope.defer(async () => this.latest?.tearDown(req));
    return req;
  }
}

async function setUpWithIps(net: NetworkPlugin, req: PodNetworkRequest): Promise<string[]> {
  const { ips } = await succeeds(`setUp(pod ${req.podId})`, net.setUp(req));
  ensure(Array.isArray(ips) && ips.length > 0, `setUp(pod ${req.podId}) answered no IP: ${JSON.stringify(ips)}`);
  for (const ip of ips) ensure(isIP(ip) !== 0, `setUp(pod ${req.podId}) answered "${ip}", which is not an IP address`);
  return ips;
}

function networkCheck(setup: NetworkConformanceSetup, name: string, body: (f: NetworkFixture) => Promise<void>): ConformanceCheck {
  return scopedCheck(name, (scope) => body(new NetworkFixture(setup, scope)));
}

/** The checks of the network contract for the plugin `setup` makes; register each as a test. */
export function networkConformance(setup: NetworkConformanceSetup): ConformanceCheck[] {
  return [
    networkCheck(setup, 'answers status() with a readiness', async (f) => {
      const net = await f.plugin();
      ensure(typeof net.name === 'string' && net.name !== '', 'the plugin has no name');
      ensureReadinessShape('status()', await succeeds('status()', net.status()));
    }),

    networkCheck(setup, 'sets a pod up with its IPs, and check() passes after it', async (f) => {
      const net = await f.plugin();
      const { req, ns } = await f.pod();
      await setUpWithIps(net, req);
      await succeeds('check() after setUp', net.check(req));
      if (net.podInterface && setup.namespaces.networkStats) {
        const stats = await succeeds('networkStats() of the pod namespace', setup.namespaces.networkStats(ns));
        const names = stats.interfaces.map((i) => i.name);
        ensure(names.includes(net.podInterface), `podInterface is "${net.podInterface}" but the pod's namespace has ${JSON.stringify(names)}`);
      }
    }),

    networkCheck(setup, 'gives two pods different IPs', async (f) => {
      const net = await f.plugin();
      const a = await setUpWithIps(net, (await f.pod()).req);
      const b = await setUpWithIps(net, (await f.pod()).req);
      ensure(!a.some((ip) => b.includes(ip)), `two pods got the same IP: ${JSON.stringify(a)} and ${JSON.stringify(b)}`);
    }),

    networkCheck(setup, 'tears a pod down twice without error, after which check() fails with a CriodError', async (f) => {
      const net = await f.plugin();
      const { req } = await f.pod();
      await setUpWithIps(net, req);
      await succeeds('tearDown()', net.tearDown(req));
      await succeeds('a second tearDown()', net.tearDown(req));
      await rejectsTyped('check() of a torn-down pod', net.check(req));
    }),

    networkCheck(setup, 'tears down a pod that was never set up without error', async (f) => {
      const net = await f.plugin();
      const { req } = await f.pod();
      await succeeds('tearDown() of a pod never set up', net.tearDown(req));
      await succeeds('tearDown() of a pod whose namespace was never pinned', net.tearDown(f.unpinnedPod()));
    }),

    networkCheck(setup, 'tears a pod down after its network namespace is gone', async (f) => {
      const net = await f.plugin();
      const { req, ns } = await f.pod();
      await setUpWithIps(net, req);
      await succeeds('releasing the namespace', setup.namespaces.release(ns));
      await succeeds('tearDown() after the namespace was released', net.tearDown(req));
      await succeeds('a second tearDown()', net.tearDown(req));
    }),

    networkCheck(setup, 'refuses to set up a pod in a missing namespace with a CriodError, leaving nothing set up', async (f) => {
      const net = await f.plugin();
      const req = f.unpinnedPod();
      await rejectsTyped(`setUp() into the missing namespace ${req.netnsPath}`, net.setUp(req));
      await rejectsTyped('check() after the failed setUp()', net.check(req));
      await succeeds('tearDown() after the failed setUp()', net.tearDown(req));
    }),

    networkCheck(setup, 'keeps pods across a restart: check() passes, new pods get other IPs, tearDown() works', async (f) => {
      const first = await f.plugin();
      const { req } = await f.pod();
      const ips = await setUpWithIps(first, req);
      await succeeds('close() before the restart', first.close?.() ?? Promise.resolve());

      const second = await f.plugin();
      ensureReadinessShape('status() after the restart', await succeeds('status() after the restart', second.status()));
      await succeeds('check() after the restart', second.check(req));
      const other = await setUpWithIps(second, (await f.pod()).req);
      ensure(!other.some((ip) => ips.includes(ip)), `after the restart a new pod got ${JSON.stringify(other)}, still held by a pod set up before it`);
      await succeeds('tearDown() after the restart', second.tearDown(req));
      await succeeds('a second tearDown() after the restart', second.tearDown(req));
      await rejectsTyped('check() of a pod torn down after the restart', second.check(req));
    }),
  ];
}
