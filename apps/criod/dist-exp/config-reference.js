/**
 * The config reference: every key of criod's config (the daemon's own and each plugin's section)
 * with its type, default and description, read from the zod schemas themselves. Defaults are what
 * parsing an empty document gives, so the docs cannot drift from what criod does.
 */
import { z } from 'zod';
import { daemonShape, pluginsSchema } from './config.js';
const wrapperTypes = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);
/** One layer in: a default's or optional's inner schema, a preprocess's target, a transform's input. */
function innerSchema(s) {
  const d = s._zod.def;
  if (d.type === 'pipe') return d.in._zod.def.type === 'transform' ? d.out : d.in;
  return wrapperTypes.has(d.type) ? d.innerType : undefined;
}
function unwrap(s) {
  for (let next = innerSchema(s); next; next = innerSchema(s)) s = next;
  return s;
}
/** The outermost description: `.describe()` may come before or after `.default()`. */
function descriptionOf(s) {
  for (let at = s; at; at = innerSchema(at)) if (at.description) return at.description;
  return '';
}
function typeName(schema) {
  const d = unwrap(schema)._zod.def;
  switch (d.type) {
    case 'object':
    case 'record':
      return 'table';
    case 'array':
      return `array of ${typeName(d.element)}`;
    case 'enum':
      return Object.values(d.entries)
        .map((v) => JSON.stringify(v))
        .join(' or ');
    case 'literal':
      return d.values.map((v) => JSON.stringify(v)).join(' or ');
    case 'union':
      return d.options.map(typeName).join(' or ');
    case 'number': {
      const isInt = [d.format, ...(d.checks ?? []).map((c) => c._zod.def.format)].some((f) => f?.includes('int'));
      return isInt ? 'integer' : 'number';
    }
    default:
      return d.type;
  }
}
function tomlKey(name) {
  return /^[A-Za-z0-9_-]+$/.test(name) ? name : JSON.stringify(name);
}
function tomlValue(v) {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(', ')}]`;
  if (typeof v === 'object' && v !== null) {
    const entries = Object.entries(v);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, x]) => `${tomlKey(k)} = ${tomlValue(x)}`).join(', ')} }`;
  }
  return String(v);
}
/** What a key takes when omitted: from its parent's default when the parent has one, else its own. */
function keyDefault(field, name, parentDefault) {
  if (parentDefault) return parentDefault[name] === undefined ? 'unset' : { value: parentDefault[name] };
  const r = field.safeParse(undefined);
  if (!r.success) return 'required';
  return r.data === undefined ? 'unset' : { value: r.data };
}
function isTable(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function walkTable(shape, prefix, tableDefault, rows) {
  for (const [name, field] of Object.entries(shape)) {
    const key = `${prefix}${tomlKey(name)}`;
    const dflt = keyDefault(field, name, tableDefault);
    const shown = typeof dflt === 'string' ? dflt : tomlValue(dflt.value);
    const inner = unwrap(field)._zod.def;
    const description = descriptionOf(field);
    if (inner.type === 'object') {
      rows.push({ key, type: 'table', default: typeof dflt === 'string' ? dflt : '', description });
      walkTable(inner.shape, `${key}.`, typeof dflt !== 'string' && isTable(dflt.value) ? dflt.value : undefined, rows);
      continue;
    }
    rows.push({ key, type: typeName(field), default: shown, description });
    if (inner.type === 'record') {
      const entry = unwrap(inner.valueType)._zod.def;
      const placeholder = inner.keyType.meta?.()?.title ?? 'name';
      if (entry.type === 'object') walkTable(entry.shape, `${key}."<${placeholder}>".`, undefined, rows);
    } else if (inner.type === 'array') {
      let element = unwrap(inner.element);
      let brackets = '[]';
      for (; element._zod.def.type === 'array'; brackets += '[]') element = unwrap(element._zod.def.element);
      if (element._zod.def.type === 'object') walkTable(element._zod.def.shape, `${key}${brackets}.`, undefined, rows);
    }
  }
}
/** Every key of the daemon's own part of the config. */
export function daemonKeyDocs() {
  const schema = z.strictObject(daemonShape);
  const rows = [];
  walkTable(daemonShape, '', schema.parse({}), rows);
  return rows;
}
/** Every key of a plugin's section, prefixed with the section name. */
export function pluginKeyDocs(definition) {
  const schema = definition.configSchema;
  const table = unwrap(schema)._zod.def;
  if (table.type !== 'object') throw new Error(`plugin ${definition.name}: its config schema is a ${table.type}, not an object schema`);
  const parsed = schema.safeParse({});
  const rows = [];
  walkTable(table.shape, `${tomlKey(definition.configSection)}.`, parsed.success && isTable(parsed.data) ? parsed.data : undefined, rows);
  return rows;
}
/** A Markdown code span that survives backticks and table pipes in the value. */
function code(text) {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${text.replaceAll('|', '\\|')}${fence}`;
}
function cell(text) {
  return text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ');
}
export function renderKeyTable(rows) {
  const lines = rows.map((r) => {
    const dflt = r.default === '' || r.default === 'unset' || r.default === 'required' ? r.default : code(r.default);
    return `| ${code(r.key)} | ${cell(r.type)} | ${dflt} | ${cell(r.description)} |`;
  });
  return ['| key | type | default | description |', '|---|---|---|---|', ...lines].join('\n');
}
/** How an operator selects the plugin, e.g. 'the default `plugins.network`'. */
function selectionNote(kind, pkg) {
  const defaults = pluginsSchema.parse({});
  if (kind === 'security') {
    return defaults.security.includes(pkg) ? 'in the default `plugins.security`' : `selected by listing ${code(JSON.stringify(pkg))} in \`plugins.security\``;
  }
  return defaults[kind] === pkg ? `the default \`plugins.${kind}\`` : `selected by ${code(`plugins.${kind} = ${JSON.stringify(pkg)}`)}`;
}
/** The whole reference: the daemon's keys, then one table per plugin section. */
export function renderConfigReference(plugins) {
  const parts = ['### criod', '', renderKeyTable(daemonKeyDocs())];
  for (const { pkg, definition } of plugins) {
    parts.push(
      '',
      `### \`[${definition.configSection}]\` of ${pkg}`,
      '',
      `The ${definition.kind} plugin ${pkg}, ${selectionNote(definition.kind, pkg)}.`,
      '',
      renderKeyTable(pluginKeyDocs(definition)),
    );
  }
  return parts.join('\n');
}
const block = /(<!-- config-reference:start(?: (\S+))? -->\n)[\s\S]*?(<!-- config-reference:end -->)/g;
/**
 * Rewrite the generated blocks of a Markdown file: `<!-- config-reference:start -->` gets the
 * whole reference, `<!-- config-reference:start <package> -->` that plugin's table only.
 */
export function spliceConfigReference(markdown, plugins) {
  return markdown.replace(block, (_all, start, pkg, end) => {
    if (pkg === undefined) return `${start}${renderConfigReference(plugins)}\n${end}`;
    const plugin = plugins.find((p) => p.pkg === pkg);
    if (!plugin) throw new Error(`config-reference block names ${pkg}, which is not a plugin criod documents (${plugins.map((p) => p.pkg).join(', ')})`);
    return `${start}${renderKeyTable(pluginKeyDocs(plugin.definition))}\n${end}`;
  });
}
//# sourceMappingURL=config-reference.js.map
