import type { Logger } from '@criod/core';
import type { OciRuncConfig } from './config.js';
import type { ConmonTarget } from './conmon.js';
import { ExitWatcher } from './exit-watcher.js';
import { selectHandler, type ResolvedHandler } from './handlers.js';
import { RuntimeLayout } from './layout.js';
import { Runc } from './runc.js';

/** What every container operation works with: config, dirs, binaries and the exit watcher. */
export class RuntimeContext {
  readonly layout: RuntimeLayout;
  readonly exits: ExitWatcher;
  private readonly runcs = new Map<string, Runc>();

  constructor(
    readonly config: OciRuncConfig,
    readonly conmonPath: string,
    readonly handlers: Map<string, ResolvedHandler>,
    runroot: string,
    readonly logger: Logger,
  ) {
    this.layout = new RuntimeLayout(runroot);
    this.exits = new ExitWatcher(this.layout.exitsDir);
  }

  /** The handler a RuntimeClass names ("" = default); unknown names are an InvalidArgument. */
  handler(name: string): ResolvedHandler {
    return selectHandler(this.handlers, this.config.default_handler, name);
  }

  runc(handlerName: string): Runc {
    const handler = this.handler(handlerName);
    let runc = this.runcs.get(handler.name);
    if (!runc) this.runcs.set(handler.name, (runc = new Runc(handler)));
    return runc;
  }

  allRuncs(): Runc[] {
    return [...this.handlers.keys()].map((name) => this.runc(name));
  }

  conmon(handlerName: string): ConmonTarget {
    return { conmonPath: this.conmonPath, runc: this.runc(handlerName), systemdCgroup: this.config.cgroup_manager === 'systemd' };
  }
}
