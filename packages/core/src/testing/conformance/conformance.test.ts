/**
 * The kit itself: it passes a plugin that keeps the rules and fails, by name and with the reason,
 * one that breaks them. (Real plugins run it in their own packages: net-cni, net-veth, oci-runc.)
 */
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../errors.js';
import type { NetworkPlugin, PodNetworkRequest, PodNetworkStatus, RuntimeSandbox } from '../../plugins.js';
import type { Readiness } from '../../types.js';
import { FakeNamespaces, FakeRuntime } from '../fakes.js';
import { ConformanceFailure, networkConformance, runtimeConformance, type ConformanceCheck } from './index.js';

/** A network plugin that keeps the rules: pods live in `pods`, which outlives an instance as a state dir would. */
class MapNetwork implements NetworkPlugin {
  readonly name = 'map-network';
  constructor(
    protected readonly pods: Map<string, string>,
    protected readonly namespaces: FakeNamespaces,
  ) {}

  async status(): Promise<Readiness> {
    return { ready: true, reason: '', message: '' };
  }

  async setUp(req: PodNetworkRequest): Promise<PodNetworkStatus> {
    if (!this.namespaces.open.has(req.netnsPath)) throw new NotFoundError(`no network namespace at ${req.netnsPath}`);
    const used = new Set(this.pods.values());
    let host = 2;
    while (used.has(`10.0.0.${host}`)) host++;
    this.pods.set(req.podId, `10.0.0.${host}`);
    return { ips: [`10.0.0.${host}`] };
  }

  async check(req: PodNetworkRequest): Promise<void> {
    if (!this.pods.has(req.podId)) throw new NotFoundError(`pod ${req.podId} has no network`);
  }

  async tearDown(req: PodNetworkRequest): Promise<void> {
    this.pods.delete(req.podId);
  }
}

class TearsDownOnce extends MapNetwork {
  override async tearDown(req: PodNetworkRequest): Promise<void> {
    await this.check(req);
    this.pods.delete(req.podId);
  }
}

class UntypedSetUpError extends MapNetwork {
  override async setUp(req: PodNetworkRequest): Promise<PodNetworkStatus> {
    if (!this.namespaces.open.has(req.netnsPath)) throw new Error(`open ${req.netnsPath}: no such file`);
    return super.setUp(req);
  }
}

function networkChecks(Network: typeof MapNetwork): ConformanceCheck[] {
  const pods = new Map<string, string>();
  const namespaces = new FakeNamespaces();
  return networkConformance({ create: async () => new Network(pods, namespaces), namespaces });
}

/** Each check's name → undefined when it passed, else its failure message. */
async function outcomes(checks: ConformanceCheck[]): Promise<Map<string, string | undefined>> {
  const result = new Map<string, string | undefined>();
  for (const c of checks) {
    result.set(
      c.name,
      await c.run().then(
        () => undefined,
        (err: unknown) => {
          expect(err).toBeInstanceOf(ConformanceFailure);
          return (err as Error).message;
        },
      ),
    );
  }
  return result;
}

describe('network conformance', () => {
  it('passes a plugin that keeps every rule', async () => {
    const results = await outcomes(networkChecks(MapNetwork));
    expect(results.size).toBeGreaterThanOrEqual(8);
    expect([...results].filter(([, failure]) => failure !== undefined)).toEqual([]);
  });

  it('fails a tearDown() that is not idempotent', async () => {
    const results = await outcomes(networkChecks(TearsDownOnce));
    expect(results.get('tears a pod down twice without error, after which check() fails with a CriodError')).toMatch(
      /^a second tearDown\(\) failed: pod \w+ has no network$/,
    );
    expect(results.get('tears down a pod that was never set up without error')).toMatch(/^tearDown\(\) of a pod never set up failed/);
    expect(results.get('sets a pod up with its IPs, and check() passes after it')).toBeUndefined();
  });

  it('fails a setUp() that throws a raw Error', async () => {
    const results = await outcomes(networkChecks(UntypedSetUpError));
    expect(results.get('refuses to set up a pod in a missing namespace with a CriodError, leaving nothing set up')).toMatch(
      /^setUp\(\) into the missing namespace \/fake\/ns\/net\/\w+ threw Error \("open .*: no such file"\), not a CriodError from @criod\/core$/,
    );
  });

  it('fails a plugin that forgets its pods on restart', async () => {
    const namespaces = new FakeNamespaces();
    const checks = networkConformance({ create: async () => new MapNetwork(new Map(), namespaces), namespaces });
    const results = await outcomes(checks);
    expect(results.get('keeps pods across a restart: check() passes, new pods get other IPs, tearDown() works')).toMatch(/^check\(\) after the restart failed/);
  });
});

describe('runtime conformance', () => {
  const request = (id: string, args: string[]) => ({
    id,
    podId: 'pod',
    handler: '',
    spec: { ociVersion: '1.0.2', process: { user: { uid: 0, gid: 0 }, cwd: '/', args } },
    cgroupParent: '',
    logPath: `/fake/${id}.log`,
    stdin: false,
    stdinOnce: false,
    tty: false,
  });

  class UntypedNotFound extends FakeRuntime {
    override async containerState(id: string) {
      if (!this.containers.has(id)) throw new Error(`no such container ${id}`);
      return super.containerState(id);
    }
  }

  /** Removes only sandboxes it knows: a second removePodSandbox() fails. */
  class RemovesOnce extends FakeRuntime {
    override async removePodSandbox(sandbox: RuntimeSandbox) {
      if (!this.sandboxes.has(sandbox.podId)) throw new NotFoundError(`sandbox ${sandbox.podId} not found`);
      return super.removePodSandbox(sandbox);
    }
  }

  /** Hands port 0 to the kernel, which picks a port of its own. */
  class AnyPort extends FakeRuntime {
    override async portForward(sandbox: RuntimeSandbox, port: number) {
      return super.portForward(sandbox, port === 0 ? 1 : port);
    }
  }

  it('passes the idempotent stop and delete and the NotFound errors of the fake runtime', async () => {
    const runtime = new FakeRuntime();
    const results = await outcomes(runtimeConformance({ create: async () => runtime, containerRequest: request, timeoutMs: 200 }));
    for (const [name, failure] of results) if (/sandbox|forward/.test(name)) expect({ name, failure }).toEqual({ name, failure: undefined });
    expect([...results.keys()].filter((name) => /sandbox|forward/.test(name)).length).toBe(7);
    expect(runtime.sandboxes.size).toBe(0);
    expect(results.get('deletes a running container twice and an unknown one without error; then it is gone')).toBeUndefined();
    expect(results.get('names an unknown container with NotFound')).toBeUndefined();
    expect(results.get('creates a container in state created with its pid, listed by listContainers()')).toBeUndefined();
    // the fake echoes commands instead of running them
    expect(results.get('runs execSync() in a running container with its output and exit code')).toMatch(/^execSync\(\) stdout is /);
    expect(runtime.containers.size).toBe(0);
  });

  it('fails a removePodSandbox() that is not idempotent', async () => {
    const results = await outcomes(runtimeConformance({ create: async () => new RemovesOnce(), containerRequest: request, timeoutMs: 200 }));
    expect(results.get('stops a sandbox twice and removes it twice without error; then its infra container is gone')).toMatch(
      /^a second removePodSandbox\(\) failed: sandbox conformance-\w+-\d+ not found$/,
    );
    expect(results.get('removes a running sandbox, and stops and removes one it never ran, without error')).toMatch(
      /^removePodSandbox\(\) of a sandbox never run failed/,
    );
  });

  it('fails a portForward() that takes a port outside 1-65535', async () => {
    const results = await outcomes(runtimeConformance({ create: async () => new AnyPort(), containerRequest: request, timeoutMs: 200 }));
    expect(results.get('refuses to forward a port outside 1-65535 (InvalidArgument), and fails one nobody listens on')).toMatch(/^portForward\(0\) /);
  });

  it('fails a runtime that names an unknown container with a raw Error', async () => {
    const results = await outcomes(runtimeConformance({ create: async () => new UntypedNotFound(), containerRequest: request, timeoutMs: 200 }));
    expect(results.get('names an unknown container with NotFound')).toMatch(
      /^containerState\(\) of an unknown id threw Error \("no such container conformance-\w+-\d+"\), not a CriodError from @criod\/core \(NotFoundError\)$/,
    );
  });
});
