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
} from '@criod/core';
import { readdir } from 'node:fs/promises';
import { requireMeta, writeMeta } from './bundle.js';
import { swapAccounted } from './cgroups.js';
import type { OciRuncConfig } from './config.js';
import { checkpointContainer } from './container-checkpoint.js';
import { createContainer } from './container-create.js';
import { deleteContainer } from './container-delete.js';
import { restoreContainer } from './container-restore.js';
import { containerState } from './container-state.js';
import { stopContainer } from './container-stop.js';
import { reopenLog } from './control.js';
import { detectCriu } from './criu.js';
import { execSync } from './exec-sync.js';
import { attachContainer, execInteractive } from './interactive.js';
import type { ResolvedHandler } from './handlers.js';
import { KeyedMutex, isNotFound } from '@criod/core';

import { RuntimeContext } from './runtime-context.js';
import { StatsCollector } from './stats.js';

/**
 * The runtime plugin: conmon supervising runc (or any runc-compatible binary) per handler.
 * Operations on one container are serialized; different containers proceed in parallel.
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
      // Run at creation (the infra container): nothing left to start.
      if (meta.unmonitored && meta.started) return;
      if (meta.restore) return restoreContainer(this.ctx, id);
      await this.ctx.runc(meta.handler).start(id);
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
