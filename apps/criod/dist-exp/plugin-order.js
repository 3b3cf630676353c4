import { ConfigError } from './config.js';
function named(p) {
  return `${p.definition.name} (${p.key})`;
}
/**
 * Sort `selected` so each plugin comes after what it requires. A required kind no selected plugin
 * provides, a required security plugin (there may be many: none can be handed out as "the" one)
 * and a cycle are config errors that name the plugins involved.
 */
export function inDependencyOrder(selected) {
  const providers = new Map();
  for (const p of selected) if (p.kind !== 'security') providers.set(p.kind, p);
  const dependencies = (p) =>
    (p.definition.requires ?? []).map((kind) => {
      if (kind === 'security') {
        throw new ConfigError(`plugin ${named(p)} requires a security plugin, which cannot be required: security plugins may be many or none`);
      }
      const provider = providers.get(kind);
      if (!provider) throw new ConfigError(`plugin ${named(p)} requires a ${kind} plugin, but none is selected: set plugins.${kind}`);
      return provider;
    });
  const ordered = [];
  const done = new Set();
  const path = [];
  const visit = (p) => {
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
//# sourceMappingURL=plugin-order.js.map
