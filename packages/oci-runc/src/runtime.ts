import { join } from 'node:path';
import { findExecutable, type CgroupDriver, type Logger, type Readiness, type RuntimeHandlerInfo, type RuntimePlugin } from '@criod/core';
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

  async info(): Promise<Record<string, unknown>> {
    return {
      conmon: this.conmonPath,
      defaultHandler: this.config.default_handler,
      handlers: Object.fromEntries([...this.handlerMap].map(([n, h]) => [n, { path: h.path, root: h.root, version: h.version }])),
    };
  }
}
