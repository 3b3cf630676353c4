import { join } from 'node:path';
import { execa } from 'execa';
import { findExecutable, InvalidArgumentError } from '@criod/core';
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
    throw new Error(
      `conmon not found (runtime.conmon = ${JSON.stringify(config.conmon)}): install it (Debian: apt-get install conmon) or set [runtime] conmon to its path`,
    );
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

/** The handler a RuntimeClass names; "" is the default one. */
export function selectHandler(handlers: Map<string, ResolvedHandler>, defaultHandler: string, name: string): ResolvedHandler {
  const handler = handlers.get(name || defaultHandler);
  if (!handler) {
    throw new InvalidArgumentError(
      `unknown runtime handler ${JSON.stringify(name)}: configured handlers are ${[...handlers.keys()].map((n) => JSON.stringify(n)).join(', ')}`,
    );
  }
  return handler;
}
