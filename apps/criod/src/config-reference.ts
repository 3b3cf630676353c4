/**
 * The config reference: every key of criod's config (the daemon's own and each plugin's section)
 * with its type, default and description, read from the zod schemas themselves. Defaults are what
 * parsing an empty document gives, so the docs cannot drift from what criod does.
 */
import { z } from 'zod';
import type { PluginDefinition, PluginKind } from '@criod/core';
import { daemonShape, pluginsSchema } from './config.js';

export interface ConfigKeyDoc {
  /** Dotted TOML key, e.g. `image.registries."<prefix>".insecure`. */
  key: string;
  type: string;
  /** The value an omitted key takes (inline TOML), `unset`, `required`, or '' for a table whose keys follow. */
  default: string;
  description: string;
}

/** A plugin package as the reference shows it: the package and the definitions it provides. */
export interface DocumentedPlugin {
  pkg: string;
  definitions: PluginDefinition[];
}

/** The parts of a zod 4 schema the walker reads; `_zod.def` is zod's stable introspection surface. */
interface Schema {
  _zod: {
    def: {
      type: string;
      innerType?: Schema;
      in?: Schema;
      out?: Schema;
      element?: Schema;
      shape?: Record<string, Schema>;
      keyType?: Schema;
      valueType?: Schema;
      options?: Schema[];
      entries?: Record<string, string | number>;
      values?: unknown[];
      format?: string;
      checks?: { _zod: { def: { check: string; format?: string } } }[];
    };
  };
  description?: string;
  meta?(): { title?: string } | undefined;
  safeParse(value: unknown): { success: boolean; data?: unknown };
}

const wrapperTypes = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);

/** One layer in: a default's or optional's inner schema, a preprocess's target, a transform's input. */
function innerSchema(s: Schema): Schema | undefined {
  const d = s._zod.def;
  if (d.type === 'pipe') return d.in!._zod.def.type === 'transform' ? d.out : d.in;
  return wrapperTypes.has(d.type) ? d.innerType : undefined;
}

function unwrap(s: Schema): Schema {
  for (let next = innerSchema(s); next; next = innerSchema(s)) s = next;
  return s;
}

/** The outermost description: `.describe()` may come before or after `.default()`. */
function descriptionOf(s: Schema): string {
  for (let at: Schema | undefined = s; at; at = innerSchema(at)) if (at.description) return at.description;
  return '';
}

function typeName(schema: Schema): string {
  const d = unwrap(schema)._zod.def;
  switch (d.type) {
    case 'object':
    case 'record':
      return 'table';
    case 'array':
      return `array of ${typeName(d.element!)}`;
    case 'enum':
      return Object.values(d.entries!)
        .map((v) => JSON.stringify(v))
        .join(' or ');
    case 'literal':
      return d.values!.map((v) => JSON.stringify(v)).join(' or ');
    case 'union':
      return d.options!.map(typeName).join(' or ');
    case 'number': {
      const isInt = [d.format, ...(d.checks ?? []).map((c) => c._zod.def.format)].some((f) => f?.includes('int'));
      return isInt ? 'integer' : 'number';
    }
    default:
      return d.type;
  }
}

function tomlKey(name: string): string {
  return /^[A-Za-z0-9_-]+$/.test(name) ? name : JSON.stringify(name);
}

function tomlValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(', ')}]`;
  if (typeof v === 'object' && v !== null) {
    const entries = Object.entries(v);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, x]) => `${tomlKey(k)} = ${tomlValue(x)}`).join(', ')} }`;
  }
  return String(v);
}

type KeyDefault = { value: unknown } | 'unset' | 'required';

/** What a key takes when omitted: from its parent's default when the parent has one, else its own. */
function keyDefault(field: Schema, name: string, parentDefault: Record<string, unknown> | undefined): KeyDefault {
  if (parentDefault) return parentDefault[name] === undefined ? 'unset' : { value: parentDefault[name] };
  const r = field.safeParse(undefined);
  if (!r.success) return 'required';
  return r.data === undefined ? 'unset' : { value: r.data };
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function walkTable(shape: Record<string, Schema>, prefix: string, tableDefault: Record<string, unknown> | undefined, rows: ConfigKeyDoc[]): void {
  for (const [name, field] of Object.entries(shape)) {
    const key = `${prefix}${tomlKey(name)}`;
    const dflt = keyDefault(field, name, tableDefault);
    const shown = typeof dflt === 'string' ? dflt : tomlValue(dflt.value);
    const inner = unwrap(field)._zod.def;
    const description = descriptionOf(field);
    if (inner.type === 'object') {
      rows.push({ key, type: 'table', default: typeof dflt === 'string' ? dflt : '', description });
      walkTable(inner.shape!, `${key}.`, typeof dflt !== 'string' && isTable(dflt.value) ? dflt.value : undefined, rows);
      continue;
    }
    rows.push({ key, type: typeName(field), default: shown, description });
    if (inner.type === 'record') {
      const entry = unwrap(inner.valueType!)._zod.def;
      const placeholder = inner.keyType!.meta?.()?.title ?? 'name';
      if (entry.type === 'object') walkTable(entry.shape!, `${key}."<${placeholder}>".`, undefined, rows);
    } else if (inner.type === 'array') {
      let element = unwrap(inner.element!);
      let brackets = '[]';
      for (; element._zod.def.type === 'array'; brackets += '[]') element = unwrap(element._zod.def.element!);
      if (element._zod.def.type === 'object') walkTable(element._zod.def.shape!, `${key}${brackets}.`, undefined, rows);
    }
  }
}

/** Every key of the daemon's own part of the config. */
export function daemonKeyDocs(): ConfigKeyDoc[] {
  const schema = z.strictObject(daemonShape);
  const rows: ConfigKeyDoc[] = [];
  walkTable(daemonShape as unknown as Record<string, Schema>, '', schema.parse({}) as Record<string, unknown>, rows);
  return rows;
}

/** Every key of a plugin's section, prefixed with the section name; definitions sharing a section share its schema. */
export function pluginKeyDocs(definition: PluginDefinition): ConfigKeyDoc[] {
  const schema = definition.configSchema as unknown as Schema;
  const table = unwrap(schema)._zod.def;
  if (table.type !== 'object') throw new Error(`plugin ${definition.name}: its config schema is a ${table.type}, not an object schema`);
  const parsed = schema.safeParse({});
  const rows: ConfigKeyDoc[] = [];
  walkTable(table.shape!, `${tomlKey(definition.configSection)}.`, parsed.success && isTable(parsed.data) ? parsed.data : undefined, rows);
  return rows;
}

/** A Markdown code span that survives backticks and table pipes in the value. */
function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${text.replaceAll('|', '\\|')}${fence}`;
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ');
}

export function renderKeyTable(rows: ConfigKeyDoc[]): string {
  const lines = rows.map((r) => {
    const dflt = r.default === '' || r.default === 'unset' || r.default === 'required' ? r.default : code(r.default);
    return `| ${code(r.key)} | ${cell(r.type)} | ${dflt} | ${cell(r.description)} |`;
  });
  return ['| key | type | default | description |', '|---|---|---|---|', ...lines].join('\n');
}

/** How an operator selects the plugin, e.g. 'the default `plugins.network`'. */
function selectionNote(kind: PluginKind, pkg: string): string {
  const defaults = pluginsSchema.parse({});
  if (kind === 'security') {
    return defaults.security.includes(pkg) ? 'in the default `plugins.security`' : `selected by listing ${code(JSON.stringify(pkg))} in \`plugins.security\``;
  }
  return defaults[kind] === pkg ? `the default \`plugins.${kind}\`` : `selected by ${code(`plugins.${kind} = ${JSON.stringify(pkg)}`)}`;
}

/** A package's definitions grouped by the config section they own (definitions may share one). */
function bySection(definitions: PluginDefinition[]): PluginDefinition[][] {
  const groups = new Map<string, PluginDefinition[]>();
  for (const def of definitions) groups.set(def.configSection, [...(groups.get(def.configSection) ?? []), def]);
  return [...groups.values()];
}

/** The whole reference: the daemon's keys, then one table per plugin section. */
export function renderConfigReference(plugins: DocumentedPlugin[]): string {
  const parts = ['### criod', '', renderKeyTable(daemonKeyDocs())];
  for (const { pkg, definitions } of plugins) {
    for (const group of bySection(definitions)) {
      const kinds = group.map((d) => d.kind);
      const owner = kinds.length === 1 ? `The ${kinds[0]} plugin ${pkg}` : `The ${kinds.join(' and ')} plugins of ${pkg}`;
      parts.push(
        '',
        `### \`[${group[0]!.configSection}]\` of ${pkg}`,
        '',
        `${owner}, ${kinds.map((k) => selectionNote(k, pkg)).join(' and ')}.`,
        '',
        renderKeyTable(pluginKeyDocs(group[0]!)),
      );
    }
  }
  return parts.join('\n');
}

const block = /(<!-- config-reference:start(?: (\S+))? -->\n)[\s\S]*?(<!-- config-reference:end -->)/g;

/**
 * Rewrite the generated blocks of a Markdown file: `<!-- config-reference:start -->` gets the
 * whole reference, `<!-- config-reference:start <package> -->` that plugin's table only.
 */
export function spliceConfigReference(markdown: string, plugins: DocumentedPlugin[]): string {
  return markdown.replace(block, (_all, start: string, pkg: string | undefined, end: string) => {
    if (pkg === undefined) return `${start}${renderConfigReference(plugins)}\n${end}`;
    const plugin = plugins.find((p) => p.pkg === pkg);
    if (!plugin) throw new Error(`config-reference block names ${pkg}, which is not a plugin criod documents (${plugins.map((p) => p.pkg).join(', ')})`);
    const tables = bySection(plugin.definitions).map((group) => renderKeyTable(pluginKeyDocs(group[0]!)));
    return `${start}${tables.join('\n\n')}\n${end}`;
  });
}
