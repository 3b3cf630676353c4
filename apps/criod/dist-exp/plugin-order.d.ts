import type { SelectedPlugin } from './plugins.js';
/**
 * Sort `selected` so each plugin comes after what it requires. A required kind no selected plugin
 * provides, a required security plugin (there may be many: none can be handed out as "the" one)
 * and a cycle are config errors that name the plugins involved.
 */
export declare function inDependencyOrder(selected: readonly SelectedPlugin[]): SelectedPlugin[];
//# sourceMappingURL=plugin-order.d.ts.map
