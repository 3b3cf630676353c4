/**
 * The runtime plugin contract as checks: the container lifecycle core drives, the idempotent
 * stop and delete kubelet repeats, the errors core maps to gRPC codes, and state after a restart;
 * the pod sandbox with its infra container, and port-forward.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { constants } from 'node:os';
import type { Duplex } from 'node:stream';
import { CriodError, errorMessage } from '../../errors.js';
import type { RuntimeContainerRequest, RuntimeContainerState, RuntimePlugin, RuntimeSandbox } from '../../plugins.js';
import { testPodConfig } from '../configs.js';
import { ensure, ensureReadinessShape, eventually, fail, rejectsTyped, scopedCheck, succeeds, type CheckScope, type ConformanceCheck } from './checks.js';

export interface RuntimeConformanceSetup {
  /**
   * A new instance of the runtime under test. Every call must give an instance over the same
   * config and state dirs: a second call is a criod restart. The kit closes each one.
   */
  create(): Promise<RuntimePlugin>;
  /**
   * A request for container `id` running `args`, in a rootfs with a POSIX `sh` and `sleep` (e.g.
   * busybox), no tty, no stdin. The kit makes the ids and deletes every container it creates; the
   * caller may keep the ids to clean up after a plugin that failed to.
   */
  containerRequest(id: string, args: string[]): RuntimeContainerRequest;
  /** How long a container may take to exit or stop on this machine; 30 s by default. */
  timeoutMs?: number;
}

const SLEEPER = ['sleep', '600'];
/** Exits 7 on SIGTERM (a shell runs its trap once the foreground sleep ends). */
const TERM_TRAPPER = ['sh', '-c', 'trap "exit 7" TERM; while :; do sleep 0.1; done'];

const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/** What one check made, deleted when it ends. */
class RuntimeFixture {
  private static run = randomBytes(4).toString('hex');
  private static counter = 0;

  /** The newest instance: what cleans up, as the one in charge after a restart. */
  private latest?: RuntimePlugin;

  constructor(
    private readonly setup: RuntimeConformanceSetup,
    private readonly scope: CheckScope,
  ) {}

  get timeoutMs(): number {
    return this.setup.timeoutMs ?? 30_000;
  }

  /** A (new) runtime instance; a second one is the runtime after a restart. */
  async runtime(): Promise<RuntimePlugin> {
    const rt = await succeeds('create()', this.setup.create());
    this.scope.defer(async () => rt.close?.());
    this.latest = rt;
    return rt;
  }

  /** A fresh id no container has. */
  newId(): string {
    return `conformance-${RuntimeFixture.run}-${++RuntimeFixture.counter}`;
  }

  /** Create a container running `args`; deleted when the check ends. */
  async created(rt: RuntimePlugin, args: string[]): Promise<{ id: string; state: RuntimeContainerState }> {
    const id = this.newId();
    this.scope.defer(async () => this.latest?.deleteContainer(id));
    const state = await succeeds(`createContainer(${id})`, rt.createContainer(this.setup.containerRequest(id, args)));
    return { id, state };
  }

  async started(rt: RuntimePlugin, args: string[]): Promise<string> {
    const { id } = await this.created(rt, args);
    await succeeds(`startContainer(${id})`, rt.startContainer(id));
    return id;
  }

  /**
   * Wait until the container's process handles `signal` (its bit in SigCgt of the host pid's
   * /proc status): a PID namespace's init drops a signal it has no handler for yet, so a stop
   * sent before a shell has set its trap would wait out the whole timeout.
   */
  async handles(rt: RuntimePlugin, id: string, signal: number): Promise<void> {
    const { pid } = await succeeds(`containerState(${id})`, rt.containerState(id));
    await eventually(
      `container ${id} (pid ${pid}) handling signal ${signal}`,
      async () => {
        // A pid that names no process (yet) fails the check at the timeout, as a ConformanceFailure.
        const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
        const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1];
        return caught !== undefined && ((BigInt(`0x${caught}`) >> BigInt(signal - 1)) & 1n) === 1n;
      },
      this.timeoutMs,
    );
  }

  /**
   * A sandbox in the host's namespaces, removed when the check ends; with `infra`, its infra
   * container runs `args` (a container request like any other).
   */
  async sandbox(rt: RuntimePlugin, options: { infra?: string[]; hostNetwork?: boolean } = {}): Promise<RuntimeSandbox> {
    const podId = this.newId();
    const config = testPodConfig(podId);
    config.linux.securityContext.namespaceOptions = { network: 'node', pid: options.infra ? 'pod' : 'container', ipc: 'node', targetId: '' };
    const infraId = options.infra ? this.newId() : undefined;
    const sandbox: RuntimeSandbox = { podId, handler: '', config, namespaces: [], ...(infraId ? { infraContainerId: infraId } : {}) };
    this.scope.defer(async () => this.latest?.removePodSandbox(sandbox));
    const infra = infraId && options.infra ? this.setup.containerRequest(infraId, options.infra) : undefined;
    await succeeds(`runPodSandbox(${podId}${infraId ? `, infra ${infraId}` : ''})`, rt.runPodSandbox(sandbox, infra));
    return sandbox;
  }

  /** A listener on the host's loopback answering "got <what it read>" at EOF; closed when the check ends. */
  async echoServer(): Promise<number> {
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('end', () => socket.end(`got ${Buffer.concat(chunks).toString()}`));
      socket.on('error', () => undefined);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    this.scope.defer(() => closeServer(server));
    return (server.address() as AddressInfo).port;
  }

  async stoppedState(rt: RuntimePlugin, id: string): Promise<RuntimeContainerState> {
    let state: RuntimeContainerState | undefined;
    await eventually(
      `container ${id} reaching status stopped`,
      async () => (state = await succeeds(`containerState(${id})`, rt.containerState(id))).status === 'stopped',
      this.timeoutMs,
    );
    return state!;
  }
}

function ensureState(what: string, state: RuntimeContainerState, status: RuntimeContainerState['status']): void {
  ensure(state.status === status, `${what}: status is "${state.status}", expected "${status}" (${show(state)})`);
  if (status === 'created' || status === 'running') {
    ensure(Number.isInteger(state.pid) && state.pid > 0, `${what}: a ${status} container needs the host pid of its process, got ${state.pid}`);
  }
}

/** A stopped container: pid 0, its exit code, when it finished (after `since`). */
/** How far a file timestamp (coarse clock) may lag nowNs() (fine clock). */
const coarseClockSlackNs = 50_000_000n;

function ensureStopped(what: string, state: RuntimeContainerState, since: bigint, exitCode?: number): void {
  ensureState(what, state, 'stopped');
  ensure(state.pid === 0, `${what}: a stopped container has pid 0, got ${state.pid}`);
  ensure(Number.isInteger(state.exitCode), `${what}: a stopped container needs its exitCode (${show(state)})`);
  if (exitCode !== undefined) ensure(state.exitCode === exitCode, `${what}: exitCode is ${state.exitCode}, expected ${exitCode}`);
  ensure(
    // An exit time taken from a file's mtime comes from the kernel's coarse clock, up to a tick behind the fine one.
    typeof state.finishedAt === 'bigint' && state.finishedAt >= since - coarseClockSlackNs && state.finishedAt <= nowNs() + 1_000_000_000n,
    `${what}: finishedAt must be the nanoseconds (bigint) since the epoch at which it stopped, got ${String(state.finishedAt)}`,
  );
}

/** A loopback port nobody listens on (one the kernel just gave and took back). */
async function unusedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await closeServer(server);
  return port;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Write `data`, end, and read to the end: the peer's answer, or the stream's error. */
async function roundTrip(connection: Duplex, data: string, timeoutMs: number): Promise<{ answer: string; error?: Error }> {
  const chunks: Buffer[] = [];
  const timer = setTimeout(() => connection.destroy(new Error(`no end within ${timeoutMs} ms`)), timeoutMs);
  try {
    connection.end(data);
    for await (const chunk of connection) chunks.push(chunk as Buffer);
    return { answer: Buffer.concat(chunks).toString() };
  } catch (err) {
    return { answer: Buffer.concat(chunks).toString(), error: err as Error };
  } finally {
    clearTimeout(timer);
    connection.destroy();
  }
}

function show(state: RuntimeContainerState): string {
  return JSON.stringify(state, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

function runtimeCheck(setup: RuntimeConformanceSetup, name: string, body: (f: RuntimeFixture) => Promise<void>): ConformanceCheck {
  return scopedCheck(name, (scope) => body(new RuntimeFixture(setup, scope)));
}

/** The checks of the runtime contract for the runtime `setup` makes; register each as a test. */
export function runtimeConformance(setup: RuntimeConformanceSetup): ConformanceCheck[] {
  return [
    runtimeCheck(setup, 'answers status(), handlers() and cgroupDriver()', async (f) => {
      const rt = await f.runtime();
      ensure(typeof rt.name === 'string' && rt.name !== '', 'the runtime has no name');
      ensureReadinessShape('status()', await succeeds('status()', rt.status()));
      const handlers = rt.handlers();
      ensure(Array.isArray(handlers) && handlers.length > 0, `handlers() must list at least the default handler, got ${JSON.stringify(handlers)}`);
      for (const h of handlers) {
        ensure(
          typeof h.name === 'string' && typeof h.recursiveReadOnlyMounts === 'boolean' && typeof h.userNamespaces === 'boolean',
          `handlers() answered ${JSON.stringify(h)}; each needs a name and its recursiveReadOnlyMounts and userNamespaces features`,
        );
      }
      const driver = rt.cgroupDriver();
      ensure(driver === 'cgroupfs' || driver === 'systemd', `cgroupDriver() answered "${driver}"`);
    }),

    runtimeCheck(setup, 'creates a container in state created with its pid, listed by listContainers()', async (f) => {
      const rt = await f.runtime();
      const { id, state } = await f.created(rt, SLEEPER);
      ensureState('createContainer()', state, 'created');
      const now = await succeeds('containerState() after create', rt.containerState(id));
      ensureState('containerState() after create', now, 'created');
      ensure(now.pid === state.pid, `containerState() says pid ${now.pid}, createContainer() said ${state.pid}`);
      ensure((await succeeds('listContainers()', rt.listContainers())).includes(id), `listContainers() leaves out the created ${id}`);
    }),

    runtimeCheck(setup, 'starts a created container, which is then running', async (f) => {
      const rt = await f.runtime();
      const { id, state } = await f.created(rt, SLEEPER);
      await succeeds('startContainer()', rt.startContainer(id));
      const running = await succeeds('containerState() after start', rt.containerState(id));
      ensureState('containerState() after start', running, 'running');
      ensure(running.pid === state.pid, `the running container has pid ${running.pid}, createContainer() said ${state.pid}`);
    }),

    runtimeCheck(setup, 'refuses a second container with the same id (AlreadyExists) and to start a running one (FailedPrecondition)', async (f) => {
      const rt = await f.runtime();
      const id = await f.started(rt, SLEEPER);
      await rejectsTyped('createContainer() of an existing id', rt.createContainer(setup.containerRequest(id, SLEEPER)), 'AlreadyExists');
      await rejectsTyped('startContainer() of a running container', rt.startContainer(id), 'FailedPrecondition');
      ensureState('the first container after both', await succeeds('containerState()', rt.containerState(id)), 'running');
    }),

    runtimeCheck(setup, 'runs execSync() in a running container with its output and exit code', async (f) => {
      const rt = await f.runtime();
      const id = await f.started(rt, SLEEPER);
      const r = await succeeds('execSync()', rt.execSync(id, ['sh', '-c', 'echo to-out; echo to-err >&2; exit 3'], 0));
      ensure(r.stdout.toString() === 'to-out\n', `execSync() stdout is ${JSON.stringify(r.stdout.toString())}, expected "to-out\\n"`);
      ensure(r.stderr.toString() === 'to-err\n', `execSync() stderr is ${JSON.stringify(r.stderr.toString())}, expected "to-err\\n"`);
      ensure(r.exitCode === 3, `execSync() exit code is ${r.exitCode}, expected 3`);
    }),

    runtimeCheck(setup, 'stops a container with its stop signal, then reports its exit code and finish time; stops it again without error', async (f) => {
      const rt = await f.runtime();
      const since = nowNs();
      const id = await f.started(rt, TERM_TRAPPER);
      await f.handles(rt, id, constants.signals.SIGTERM);
      await succeeds('stopContainer(SIGTERM)', rt.stopContainer(id, 30, 'SIGTERM'));
      ensureStopped('containerState() once stopContainer() returned', await succeeds('containerState()', rt.containerState(id)), since, 7);
      await succeeds('a second stopContainer()', rt.stopContainer(id, 30, 'SIGTERM'));
      ensureStopped('containerState() after the second stop', await succeeds('containerState()', rt.containerState(id)), since, 7);
    }),

    runtimeCheck(setup, 'kills at once with timeout 0, and stops an unknown container without error', async (f) => {
      const rt = await f.runtime();
      const since = nowNs();
      const id = await f.started(rt, SLEEPER);
      await succeeds('stopContainer(timeout 0)', rt.stopContainer(id, 0, ''));
      ensureStopped('containerState() after a kill', await succeeds('containerState()', rt.containerState(id)), since, 137);
      await succeeds('stopContainer() of an unknown id', rt.stopContainer(f.newId(), 0, ''));
    }),

    runtimeCheck(setup, 'reports a process that exits by itself as stopped with its exit code', async (f) => {
      const rt = await f.runtime();
      const since = nowNs();
      const id = await f.started(rt, ['sh', '-c', 'exit 3']);
      ensureStopped('the exited container', await f.stoppedState(rt, id), since, 3);
    }),

    runtimeCheck(setup, 'deletes a running container twice and an unknown one without error; then it is gone', async (f) => {
      const rt = await f.runtime();
      const id = await f.started(rt, SLEEPER);
      await succeeds('deleteContainer() of a running container', rt.deleteContainer(id));
      await succeeds('a second deleteContainer()', rt.deleteContainer(id));
      await succeeds('deleteContainer() of an unknown id', rt.deleteContainer(f.newId()));
      await rejectsTyped('containerState() of a deleted container', rt.containerState(id), 'NotFound');
      ensure(!(await succeeds('listContainers()', rt.listContainers())).includes(id), `listContainers() still lists the deleted ${id}`);
    }),

    runtimeCheck(setup, 'names an unknown container with NotFound', async (f) => {
      const rt = await f.runtime();
      const id = f.newId();
      await rejectsTyped('containerState() of an unknown id', rt.containerState(id), 'NotFound');
      await rejectsTyped('startContainer() of an unknown id', rt.startContainer(id), 'NotFound');
      await rejectsTyped('execSync() in an unknown container', rt.execSync(id, ['true'], 0), 'NotFound');
    }),

    runtimeCheck(setup, 'keeps running and created containers across a restart, which it then stops, starts and deletes', async (f) => {
      const first = await f.runtime();
      const running = await f.started(first, SLEEPER);
      const before = await succeeds('containerState() before the restart', first.containerState(running));
      const { id: created } = await f.created(first, SLEEPER);
      await succeeds('close() before the restart', first.close?.() ?? Promise.resolve());

      const rt = await f.runtime();
      const after = await succeeds('containerState() after the restart', rt.containerState(running));
      ensureState('the running container after the restart', after, 'running');
      ensure(after.pid === before.pid, `after the restart the running container has pid ${after.pid}, before it had ${before.pid}`);
      ensureState('the created container after the restart', await succeeds('containerState()', rt.containerState(created)), 'created');
      const listed = await succeeds('listContainers() after the restart', rt.listContainers());
      ensure(listed.includes(running) && listed.includes(created), `listContainers() after the restart is ${JSON.stringify(listed)}, missing ours`);
      const r = await succeeds('execSync() after the restart', rt.execSync(running, ['sh', '-c', 'echo alive'], 0));
      ensure(
        r.stdout.toString() === 'alive\n' && r.exitCode === 0,
        `execSync() after the restart answered ${JSON.stringify(r.stdout.toString())}, exit ${r.exitCode}`,
      );
      const since = nowNs();
      await succeeds('stopContainer() after the restart', rt.stopContainer(running, 0, ''));
      ensureStopped('the container stopped after the restart', await succeeds('containerState()', rt.containerState(running)), since, 137);
      await succeeds('startContainer() of the created container after the restart', rt.startContainer(created));
      ensureState('the container started after the restart', await succeeds('containerState()', rt.containerState(created)), 'running');
      for (const id of [running, created]) await succeeds(`deleteContainer(${id}) after the restart`, rt.deleteContainer(id));
      const left = await succeeds('listContainers()', rt.listContainers());
      ensure(!left.includes(running) && !left.includes(created), `listContainers() still lists deleted containers: ${JSON.stringify(left)}`);
    }),

    runtimeCheck(setup, "runs a sandbox's infra container at once, with the PID namespace path its pod's containers join", async (f) => {
      const rt = await f.runtime();
      const sandbox = await f.sandbox(rt, { infra: SLEEPER });
      const infra = sandbox.infraContainerId!;
      const state = await succeeds(`containerState(${infra}) of the infra`, rt.containerState(infra));
      ensureState('the infra after runPodSandbox()', state, 'running');
      ensure(
        typeof state.pidNamespacePath === 'string' && state.pidNamespacePath !== '',
        `the running infra has no pidNamespacePath for its pod's containers to join (${show(state)})`,
      );
      ensure((await succeeds('listContainers()', rt.listContainers())).includes(infra), `listContainers() leaves out the infra ${infra}`);
    }),

    runtimeCheck(setup, 'stops a sandbox twice and removes it twice without error; then its infra container is gone', async (f) => {
      const rt = await f.runtime();
      const since = nowNs();
      const sandbox = await f.sandbox(rt, { infra: SLEEPER });
      const infra = sandbox.infraContainerId!;
      await succeeds('stopPodSandbox()', rt.stopPodSandbox(sandbox));
      const stopped = await succeeds('containerState() of the infra after stopPodSandbox()', rt.containerState(infra));
      ensureState('the infra after stopPodSandbox()', stopped, 'stopped');
      ensure(stopped.pidNamespacePath === undefined, `a stopped infra still names a PID namespace to join: ${show(stopped)}`);
      ensure(
        typeof stopped.finishedAt === 'bigint' && stopped.finishedAt >= since - coarseClockSlackNs,
        `the stopped infra has no finishedAt (${show(stopped)})`,
      );
      await succeeds('a second stopPodSandbox()', rt.stopPodSandbox(sandbox));
      await succeeds('removePodSandbox()', rt.removePodSandbox(sandbox));
      await succeeds('a second removePodSandbox()', rt.removePodSandbox(sandbox));
      await rejectsTyped('containerState() of the removed infra', rt.containerState(infra), 'NotFound');
      ensure(!(await succeeds('listContainers()', rt.listContainers())).includes(infra), `listContainers() still lists the removed infra ${infra}`);
    }),

    runtimeCheck(setup, 'removes a running sandbox, and stops and removes one it never ran, without error', async (f) => {
      const rt = await f.runtime();
      const sandbox = await f.sandbox(rt, { infra: SLEEPER });
      await succeeds('removePodSandbox() of a running sandbox', rt.removePodSandbox(sandbox));
      await rejectsTyped('containerState() of the infra of a removed sandbox', rt.containerState(sandbox.infraContainerId!), 'NotFound');
      const unknown: RuntimeSandbox = { ...sandbox, podId: f.newId(), infraContainerId: f.newId() };
      await succeeds('stopPodSandbox() of a sandbox never run', rt.stopPodSandbox(unknown));
      await succeeds('removePodSandbox() of a sandbox never run', rt.removePodSandbox(unknown));
      const bare: RuntimeSandbox = { podId: f.newId(), handler: '', config: testPodConfig('never-run'), namespaces: [] };
      await succeeds('stopPodSandbox() of a sandbox without infra never run', rt.stopPodSandbox(bare));
      await succeeds('removePodSandbox() of a sandbox without infra never run', rt.removePodSandbox(bare));
    }),

    runtimeCheck(setup, 'keeps a sandbox across a restart, which then stops and removes it', async (f) => {
      const first = await f.runtime();
      const sandbox = await f.sandbox(first, { infra: SLEEPER });
      const infra = sandbox.infraContainerId!;
      const before = await succeeds('containerState() of the infra before the restart', first.containerState(infra));
      await succeeds('close() before the restart', first.close?.() ?? Promise.resolve());

      const rt = await f.runtime();
      const after = await succeeds('containerState() of the infra after the restart', rt.containerState(infra));
      ensureState('the infra after the restart', after, 'running');
      ensure(
        after.pid === before.pid && after.pidNamespacePath === before.pidNamespacePath,
        `the infra changed across the restart: ${show(before)} → ${show(after)}`,
      );
      await succeeds('stopPodSandbox() after the restart', rt.stopPodSandbox(sandbox));
      ensureState('the infra stopped after the restart', await succeeds('containerState()', rt.containerState(infra)), 'stopped');
      await succeeds('removePodSandbox() after the restart', rt.removePodSandbox(sandbox));
      await rejectsTyped('containerState() of the removed infra', rt.containerState(infra), 'NotFound');
    }),

    runtimeCheck(setup, 'resizes a ready sandbox (or has nothing to resize) without error', async (f) => {
      const rt = await f.runtime();
      const sandbox = await f.sandbox(rt);
      const resources = {
        cpuPeriod: 100000,
        cpuQuota: 50000,
        cpuShares: 512,
        memoryLimitInBytes: 128 << 20,
        oomScoreAdj: 0,
        cpusetCpus: '',
        cpusetMems: '',
        hugepageLimits: [],
        unified: {},
        memorySwapLimitInBytes: 0,
      };
      await succeeds('updatePodSandboxResources()', rt.updatePodSandboxResources(sandbox, undefined, resources));
    }),

    runtimeCheck(setup, "forwards a port of a host-network sandbox to the host's loopback, both ways", async (f) => {
      const rt = await f.runtime();
      const sandbox = await f.sandbox(rt);
      const port = await f.echoServer();
      const connection = await succeeds(`portForward(${port})`, rt.portForward(sandbox, port));
      const { answer, error } = await roundTrip(connection, 'ping', f.timeoutMs);
      if (error) fail(`the forwarded connection to ${port} failed: ${errorMessage(error)}`, error);
      ensure(answer === 'got ping', `the forwarded connection answered ${JSON.stringify(answer)}, expected "got ping" (a half-close must reach the peer)`);
    }),

    runtimeCheck(setup, 'refuses to forward a port outside 1-65535 (InvalidArgument), and fails one nobody listens on', async (f) => {
      const rt = await f.runtime();
      const sandbox = await f.sandbox(rt);
      for (const port of [0, 65536, 1.5]) await rejectsTyped(`portForward(${port})`, rt.portForward(sandbox, port), 'InvalidArgument');
      const port = await unusedPort();
      let connection: Duplex;
      try {
        connection = await rt.portForward(sandbox, port);
      } catch (err) {
        ensure(err instanceof CriodError, `portForward(${port}) to a port nobody listens on threw ${errorMessage(err)}, not a CriodError from @criod/core`);
        return;
      }
      const { answer, error } = await roundTrip(connection, 'ping', f.timeoutMs);
      ensure(error !== undefined, `a connection to port ${port}, where nobody listens, ended without an error (answer ${JSON.stringify(answer)})`);
    }),
  ];
}
