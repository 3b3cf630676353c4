/**
 * Loading CNI network configuration from a conf dir, following libcni's rules:
 * files ending in .conflist are network configuration lists; .conf and .json files are single
 * plugin configurations, wrapped into a one-plugin list (libcni's ConfListFromConf).
 * Files are taken in byte-sorted order of their names.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { errnoOf } from '@criod/core';
import { z } from 'zod';

export const CONF_EXTENSIONS = ['.conf', '.conflist', '.json'] as const;

/** Network and container names as the CNI spec (and libcni) accept them. */
export const CNI_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** One plugin's configuration: well-known keys typed, everything else passed through untouched. */
export interface PluginConf {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface NetworkConfList {
  cniVersion: string;
  name: string;
  disableCheck?: boolean;
  plugins: PluginConf[];
}

export interface LoadedNetwork {
  /** The file the list came from. */
  file: string;
  list: NetworkConfList;
}

export type LoadResult = { ok: true; network: LoadedNetwork; files: string[] } | { ok: false; message: string; files: string[] };

const versionSchema = z.string().regex(/^\d+\.\d+\.\d+$/, 'must be a version like "1.0.0"');
const nameSchema = z.string().regex(CNI_NAME_RE, 'must start with a letter or digit, then letters, digits, _ . -');
const typeSchema = z.string().regex(/^[^/\\\s]+$/, 'must be a plugin binary name (no slashes or spaces)');
const capabilitiesSchema = z.record(z.string(), z.boolean());
const disableCheckSchema = z
  .union([z.boolean(), z.string().regex(/^(true|false)$/i, 'must be true or false')])
  .transform((v) => (typeof v === 'boolean' ? v : v.toLowerCase() === 'true'));

const pluginSchema = z.looseObject({
  type: typeSchema,
  capabilities: capabilitiesSchema.optional(),
});

const conflistSchema = z.looseObject({
  cniVersion: versionSchema,
  name: nameSchema,
  disableCheck: disableCheckSchema.optional(),
  plugins: z.array(pluginSchema).min(1, 'must list at least one plugin'),
});

const singleConfSchema = z.looseObject({
  cniVersion: versionSchema,
  name: nameSchema,
  type: typeSchema,
  capabilities: capabilitiesSchema.optional(),
});

/** "plugins.1.type: Invalid input…; name: …" */
export function formatZodError(err: z.ZodError): string {
  return err.issues
    .map((i) => {
      const path = i.path.map(String).join('.');
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join('; ');
}

/**
 * Parse one config file's text into a network configuration list. Throws an Error whose message
 * names the file and the problem.
 */
export function parseNetworkConf(file: string, text: string): NetworkConfList {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: invalid JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error(`${file}: not a JSON object`);
  }
  if (extname(file) === '.conflist') {
    const r = conflistSchema.safeParse(raw);
    if (!r.success) throw new Error(`${file}: ${formatZodError(r.error)}`);
    const { disableCheck, plugins, ...rest } = r.data;
    const list: NetworkConfList = { ...rest, cniVersion: r.data.cniVersion, name: r.data.name, plugins: plugins as PluginConf[] };
    if (disableCheck !== undefined) list.disableCheck = disableCheck;
    return list;
  }
  const r = singleConfSchema.safeParse(raw);
  if (!r.success) {
    const hint = 'plugins' in raw && !('type' in raw) ? ' (.conf and .json files hold one plugin; name a list .conflist)' : '';
    throw new Error(`${file}: ${formatZodError(r.error)}${hint}`);
  }
  // libcni's ConfListFromConf: the list takes the conf's name and version; the plugin keeps
  // its whole original JSON.
  return { cniVersion: r.data.cniVersion, name: r.data.name, plugins: [raw as PluginConf] };
}

/** The config files of a dir, sorted; an absent dir has none. Other read errors throw. */
export async function listConfFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
  const files: string[] = [];
  for (const e of entries) {
    if (!(CONF_EXTENSIONS as readonly string[]).includes(extname(e.name))) continue;
    if (e.name.startsWith('.')) continue; // editors' and our own temp files
    const path = join(dir, e.name);
    if (e.isFile()) {
      files.push(path);
    } else if (e.isSymbolicLink()) {
      try {
        if ((await stat(path)).isFile()) files.push(path);
      } catch {
        // a dangling link is no config
      }
    }
  }
  // Byte order, like Go's sort.Strings.
  return files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

async function loadFile(file: string): Promise<NetworkConfList> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read: ${(err as Error).message}`);
  }
  return parseNetworkConf(file, text);
}

/**
 * Choose the network of a conf dir: with no name, the lowest-sorted file (a broken one is an
 * error rather than silently falling through to another network); with a name, the first file
 * (in sorted order) that defines that network.
 */
export async function loadNetwork(dir: string, networkName = ''): Promise<LoadResult> {
  let files: string[];
  try {
    files = await listConfFiles(dir);
  } catch (err) {
    return { ok: false, message: `cannot read CNI config dir ${dir}: ${(err as Error).message}`, files: [] };
  }
  if (files.length === 0) return { ok: false, message: `no CNI network config found in ${dir}`, files };

  if (!networkName) {
    const file = files[0] as string;
    try {
      return { ok: true, network: { file, list: await loadFile(file) }, files };
    } catch (err) {
      return { ok: false, message: `invalid CNI network config ${(err as Error).message}`, files };
    }
  }

  const problems: string[] = [];
  for (const file of files) {
    try {
      const list = await loadFile(file);
      if (list.name === networkName) return { ok: true, network: { file, list }, files };
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  const broken = problems.length > 0 ? ` (invalid files: ${problems.join('; ')})` : '';
  return { ok: false, message: `no CNI network named "${networkName}" found in ${dir}${broken}`, files };
}
