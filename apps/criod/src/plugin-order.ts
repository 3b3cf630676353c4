/**
 * The order plugins are created in: every plugin after the plugins of the kinds it `requires`,
 * otherwise in the order the config selects them.
 */
import type { PluginKind } from '@criod/core';
import { ConfigError } from './config.js';
import type { SelectedPlugin } from './plugins.js';

function named(p: SelectedPlugin): string {
  return `${p.definition.name} (${p.key})`;
}

/**
 * Sort `selected` so each plugin comes after what it requires. A required kind no selected plugin
 * provides, a required security plugin (there may be many: none can be handed out as "the" one)
 * and a cycle are config errors that name the plugins involved.
 */
export function inDependencyOrder(selected: readonly SelectedPlugin[]): SelectedPlugin[] {
  const providers = new Map<PluginKind, SelectedPlugin>();
  for (const p of selected) if (p.kind !== 'security') providers.set(p.kind, p);
  const dependencies = (p: SelectedPlugin): SelectedPlugin[] =>
    (p.definition.requires ?? []).map((kind) => {
      if (kind === 'security') {
        throw new ConfigError(`plugin ${named(p)} requires a security plugin, which cannot be required: security plugins may be many or none`);
      }
      const provider = providers.get(kind);
      if (!provider) throw new ConfigError(`plugin ${named(p)} requires the ${kind} plugin, but none is selected: set plugins.${kind}`);
      return provider;
    });

  const ordered: SelectedPlugin[] = [];
  const done = new Set<SelectedPlugin>();
  const path: SelectedPlugin[] = [];
  const visit = (p: SelectedPlugin): void => {
    if (done.has(p)) return;
    const at = path.indexOf(p);
    if (at >= 0) {
      const cycle = [...path.slice(at), p].map(named).join(' → ');
      throw new ConfigError(`plugins require each other in a cycle: ${cycle}`);
    }
    path.push(p);
    for (const dep of dependencies(p)) visit(dep);
    path.pop();
    done.add(p);
    ordered.push(p);
  };
  for (const p of selected) visit(p);
  return ordered;
}
