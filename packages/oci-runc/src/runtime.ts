import {
  findExecutable,
  type CheckpointRequest,
  type CheckpointSupport,
  ociResources,
  type CgroupDriver,
  type ContainerStatsSample,
  type ExecSyncResult,
  type InteractiveOptions,
  type InteractiveProcess,
  type LinuxResources,
  type Logger,
  type OciSpec,
  type Readiness,
  type RuntimeContainerRequest,
  type RuntimeContainerState,
  type RuntimeHandlerInfo,
  type RuntimePlugin,
  type RuntimeSandbox,
} from '@criod/core';
import { readdir } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { requireMeta, writeMeta } from './bundle.js';
import { swapAccounted } from './cgroups.js';
import type { OciRuncConfig } from './config.js';
import { checkpointContainer } from './container-checkpoint.js';
import { createContainer } from './container-create.js';
import { deleteContainer } from './container-delete.js';
import { restoreContainer } from './container-restore.js';
import { containerState, initAlive } from './container-state.js';
import { stopContainer } from './container-stop.js';
import { reopenLog } from './control.js';
import { detectCriu } from './criu.js';
import { execSync } from './exec-sync.js';
import { attachContainer, execInteractive } from './interactive.js';
import type { ResolvedHandler } from './handlers.js';
import { KeyedMutex, isNotFound } from '@criod/core';
import { portForward } from './port-forward.js';
import { RuntimeContext } from './runtime-context.js';
import { StatsCollector } from './stats.js';

/**
 * The runtime plugin: conmon supervising runc (or any runc-compatible binary) per handler, and
 * a pod's infra container run by runc alone. Operations on one container (the infra included)
 * are serialized; different containers proceed in parallel.
 */
export class OciRuncRuntime implements RuntimePlugin {
  readonly name = '@criod/oci-runc';
  private readonly ctx: RuntimeContext;
  private readonly lifecycle = new KeyedMutex();
  private readonly statsCollector = new StatsCollector();
  private criu: Promise<CheckpointSupport> | undefined;

  constructor(
    readonly config: OciRuncConfig,
    readonly conmonPath: string,
    readonly handlerMap: Map<string, ResolvedHandler>,
    /** criod's volatile state dir: bundles go to <runroot>/containers, exit files to <runroot>/exits. */
    readonly runroot: string,
    readonly logger: Logger,
  ) {
    this.ctx = new RuntimeContext(config, conmonPath, handlerMap, runroot, logger);
  }

  async status(): Promise<Readiness> {
    const h = this.handlerMap.get(this.config.default_handler);
    const binaries = [this.conmonPath, h?.path ?? this.config.default_handler];
    for (const bin of binaries) {
      if (!(await findExecutable(bin))) {
        return { ready: false, reason: 'RuntimeBinaryMissing', message: `${bin} is no longer executable` };
      }
    }
    return { ready: true, reason: '', message: '' };
  }

  handlers(): RuntimeHandlerInfo[] {
    // The default handler first: it also serves pods without a RuntimeClass ("").
    const names = [this.config.default_handler, ...[...this.handlerMap.keys()].filter((n) => n !== this.config.default_handler)];
    return names.map((name) => ({ name, recursiveReadOnlyMounts: false, userNamespaces: false }));
  }

  cgroupDriver(): CgroupDriver {
    return this.config.cgroup_manager;
  }

  /** Make the dirs the runtime watches, so exit watching works from the start. */
  async init(): Promise<void> {
    await this.ctx.exits.init();
    // Probed once, in the background: `criu check` takes a moment and no request should wait on it.
    this.criu = detectCriu();
  }

  async createContainer(req: RuntimeContainerRequest): Promise<RuntimeContainerState> {
    return this.lifecycle.run(req.id, async () => {
      await this.ctx.exits.init();
      return createContainer(this.ctx, req);
    });
  }

  async startContainer(id: string): Promise<void> {
    await this.lifecycle.run(id, async () => {
      const files = this.ctx.layout.container(id);
      const meta = await requireMeta(id, files);
      if (meta.restore) return restoreContainer(this.ctx, id);
      await this.ctx.runc(meta.handler).start(id, () => initAlive(meta));
      await writeMeta(files, { ...meta, started: true });
    });
  }

  async stopContainer(id: string, timeoutSeconds: number, stopSignal: string): Promise<void> {
    await this.lifecycle.run(id, () => stopContainer(this.ctx, id, timeoutSeconds, stopSignal));
  }

  watchExits(listener: (containerId: string) => void): () => void {
    return this.ctx.exits.onExit(listener);
  }

  async containerState(id: string): Promise<RuntimeContainerState> {
    return containerState(this.ctx, id);
  }

  async deleteContainer(id: string): Promise<void> {
    await this.lifecycle.run(id, () => deleteContainer(this.ctx, id));
    this.statsCollector.forget(id);
  }

  async execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult> {
    return execSync(this.ctx, id, cmd, timeoutSeconds);
  }

  async exec(id: string, cmd: string[], options: InteractiveOptions): Promise<InteractiveProcess> {
    return execInteractive(this.ctx, id, cmd, options);
  }

  async attach(id: string, options: InteractiveOptions): Promise<InteractiveProcess> {
    return attachContainer(this.ctx, id, options);
  }

  async reopenLog(id: string): Promise<void> {
    const files = this.ctx.layout.container(id);
    const meta = await requireMeta(id, files);
    await reopenLog(files.ctl, meta.logPath, `reopen the log of container ${id}`);
  }

  async updateResources(id: string, resources: LinuxResources): Promise<void> {
    const meta = await requireMeta(id, this.ctx.layout.container(id));
    await this.ctx.runc(meta.handler).update(id, ociResources(resources, { swapEqualsMemory: await swapAccounted(meta.cgroups) }));
  }

  async stats(id: string): Promise<ContainerStatsSample> {
    const meta = await requireMeta(id, this.ctx.layout.container(id));
    return { ...(await this.statsCollector.sample(id, meta.cgroups)), pid: meta.pid };
  }

  /*
   * The pod sandbox under runc: a pod is namespaces (pinned by core) and cgroups (made by kubelet),
   * so there is no sandbox of its own to make. What runs is the infra container of a pod that
   * shares one PID namespace, kept as a container of this plugin (bundle, meta, runc state) so
   * containerState and listContainers see it and a restart finds it.
   */

  /** Run the infra at once, without conmon (see CreateOptions.unmonitored); nothing to do without one. */
  async runPodSandbox(_sandbox: RuntimeSandbox, infra: RuntimeContainerRequest | undefined): Promise<void> {
    if (!infra) return;
    await this.lifecycle.run(infra.id, async () => {
      await this.ctx.exits.init();
      await createContainer(this.ctx, infra, { unmonitored: true });
    });
  }

  /** Kill the infra (a pause process has nothing to flush); a stopped or unknown one is not an error. */
  async stopPodSandbox(sandbox: RuntimeSandbox): Promise<void> {
    const infra = sandbox.infraContainerId;
    if (infra) await this.stopContainer(infra, 0, 'SIGKILL');
  }

  /** Delete the infra from runc with its bundle; idempotent. */
  async removePodSandbox(sandbox: RuntimeSandbox): Promise<void> {
    if (sandbox.infraContainerId) await this.deleteContainer(sandbox.infraContainerId);
  }

  /**
   * Nothing to resize: kubelet resizes the pod cgroup and each container's itself, and runc has no
   * VM or other sandbox of its own. Only the pod's handler must still be configured (it may have
   * left the config since the pod was made): InvalidArgument otherwise.
   */
  async updatePodSandboxResources(sandbox: RuntimeSandbox, _overhead?: LinuxResources, _resources?: LinuxResources): Promise<void> {
    this.ctx.handler(sandbox.handler);
  }

  /** nsenter + busybox nc into the pod's network namespace (see port-forward.ts). */
  portForward(sandbox: RuntimeSandbox, port: number): Promise<Duplex> {
    return portForward(sandbox, port);
  }

  checkpointSupport(): Promise<CheckpointSupport> {
    return (this.criu ??= detectCriu());
  }

  async checkpointContainer(id: string, req: CheckpointRequest): Promise<{ spec: OciSpec }> {
    return this.lifecycle.run(id, () => checkpointContainer(this.ctx, id, req));
  }

  /** Containers with a bundle here or a state under any handler root (what a restore must reconcile). */
  async listContainers(): Promise<string[]> {
    const ids = new Set<string>();
    try {
      for (const entry of await readdir(this.ctx.layout.containersDir, { withFileTypes: true })) {
        if (entry.isDirectory()) ids.add(entry.name);
      }
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    for (const runc of this.ctx.allRuncs()) {
      for (const id of await runc.list()) ids.add(id);
    }
    return [...ids].sort();
  }

  async info(): Promise<Record<string, unknown>> {
    return {
      conmon: this.conmonPath,
      defaultHandler: this.config.default_handler,
      runroot: this.runroot,
      checkpointRestore: await this.checkpointSupport(),
      handlers: Object.fromEntries([...this.handlerMap].map(([n, h]) => [n, { path: h.path, root: h.root, version: h.version }])),
    };
  }

  async close(): Promise<void> {
    this.ctx.exits.close();
  }
}
