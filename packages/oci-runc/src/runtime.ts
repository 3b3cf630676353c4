import { join } from 'node:path';
import {
  findExecutable,
  UnimplementedError,
  type ContainerStatsSample,
  type ExecSyncResult,
  type InteractiveOptions,
  type InteractiveProcess,
  type LinuxResources,
  type RuntimeContainerRequest,
  type RuntimeContainerState,
  type CgroupDriver, type Logger, type Readiness, type RuntimeHandlerInfo, type RuntimePlugin } from '@criod/core';
import { execa } from 'execa';
import type { OciRuncConfig } from './config.js';

export interface ResolvedHandler {
  name: string;
  /** Absolute path of the runtime binary. */
  path: string;
  /** --root state dir of the binary. */
  root: string;
  version: string;
}

/** Resolve every binary the config names; a missing one fails startup with an install hint. */
export async function resolveBinaries(config: OciRuncConfig, runroot: string): Promise<{ conmon: string; handlers: Map<string, ResolvedHandler> }> {
  const conmon = await findExecutable(config.conmon);
  if (!conmon) {
    throw new Error(`conmon not found (runtime.conmon = ${JSON.stringify(config.conmon)}): install it (Debian: apt-get install conmon) or set [runtime] conmon to its path`);
  }
  const handlers = new Map<string, ResolvedHandler>();
  for (const [name, h] of Object.entries(config.handlers)) {
    const path = await findExecutable(h.path);
    if (!path) {
      const hint = h.path === 'runc' ? 'install it (Debian: apt-get install runc)' : 'install it';
      throw new Error(`runtime handler "${name}": binary ${JSON.stringify(h.path)} not found: ${hint} or set [runtime.handlers.${name}] path`);
    }
    const { stdout } = await execa(path, ['--version'], { reject: false, timeout: 10_000 });
    handlers.set(name, { name, path, root: h.root || join(runroot, 'runtimes', name), version: stdout.split('\n')[0] ?? '' });
  }
  return { conmon, handlers };
}

/** The runtime plugin: conmon supervising runc (or any runc-compatible binary) per handler. */
export class OciRuncRuntime implements RuntimePlugin {
  readonly name = '@criod/oci-runc';

  constructor(
    readonly config: OciRuncConfig,
    readonly conmonPath: string,
    readonly handlerMap: Map<string, ResolvedHandler>,
    readonly logger: Logger,
  ) {}

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

  private notYet(op: string): never {
    throw new UnimplementedError(`${op} is not built into @criod/oci-runc yet`);
  }

  async createContainer(_req: RuntimeContainerRequest): Promise<RuntimeContainerState> {
    return this.notYet('createContainer');
  }
  async startContainer(_id: string): Promise<void> {
    return this.notYet('startContainer');
  }
  async stopContainer(_id: string, _timeout: number, _signal: string): Promise<void> {
    return this.notYet('stopContainer');
  }
  async containerState(_id: string): Promise<RuntimeContainerState> {
    return this.notYet('containerState');
  }
  async deleteContainer(_id: string): Promise<void> {
    return this.notYet('deleteContainer');
  }
  async execSync(_id: string, _cmd: string[], _timeout: number): Promise<ExecSyncResult> {
    return this.notYet('execSync');
  }
  async exec(_id: string, _cmd: string[], _o: InteractiveOptions): Promise<InteractiveProcess> {
    return this.notYet('exec');
  }
  async attach(_id: string, _o: InteractiveOptions): Promise<InteractiveProcess> {
    return this.notYet('attach');
  }
  async reopenLog(_id: string): Promise<void> {
    return this.notYet('reopenLog');
  }
  async updateResources(_id: string, _r: LinuxResources): Promise<void> {
    return this.notYet('updateResources');
  }
  async stats(_id: string): Promise<ContainerStatsSample> {
    return this.notYet('stats');
  }
  async listContainers(): Promise<string[]> {
    return [];
  }

  async info(): Promise<Record<string, unknown>> {
    return {
      conmon: this.conmonPath,
      defaultHandler: this.config.default_handler,
      handlers: Object.fromEntries([...this.handlerMap].map(([n, h]) => [n, { path: h.path, root: h.root, version: h.version }])),
    };
  }
}
