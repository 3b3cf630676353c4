/**
 * criod's config: the daemon's own keys plus one section per selected plugin, validated as one
 * strict document so an unknown or misspelt key anywhere stops startup naming it.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseToml, TomlError } from 'smol-toml';
import { z } from 'zod';
import { isNotFound } from '@criod/core';
export const defaultConfigPath = '/etc/criod/criod.toml';
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);
const absolutePath = z.string().startsWith('/', 'must be an absolute path');
const port = z.number().int().min(0).max(65535);
const registrySchema = z.strictObject({
  location: z
    .string()
    .default('')
    .describe(
      'Pull from this location instead, the prefix replaced (e.g. "127.0.0.1:5000/hub"); there is no fallback to the original registry. Empty pulls from the registry itself.',
    ),
  insecure: z.boolean().default(false).describe('Allow plain http and unverified TLS for this registry and its `location`.'),
  mirrors: z
    .array(z.string().min(1))
    .default([])
    .describe('Mirrors, `host[:port][/path]`, tried in order before the registry; each is insecure only by its own entry.'),
});
/** The [plugins] section: an npm package name per kind, so third-party packages can be chosen. */
export const pluginsSchema = z.strictObject({
  store: z.string().min(1).default('@criod/store-fs').describe('npm package of the store plugin (pod and container records, images).'),
  namespace: z.string().min(1).default('@criod/net-netns').describe('npm package of the namespace plugin (pinned network, ipc and uts namespaces).'),
  network: z.string().min(1).default('@criod/net-cni').describe('npm package of the network plugin (pod networking).'),
  runtime: z.string().min(1).default('@criod/oci-runc').describe('npm package of the runtime plugin (pod sandboxes and containers).'),
  security: z
    .array(z.string().min(1))
    .default(['@criod/sec-seccomp', '@criod/sec-apparmor', '@criod/sec-selinux'])
    .describe('npm packages of the security plugins, applied to each container spec in this order; `[]` runs none.'),
});
/** Keys owned by the daemon itself; plugin sections are added to these at load time. */
export const daemonShape = {
  log_level: logLevel.default('info').describe('Least severe level logged (JSON lines on stderr). Overridden by --log-level.'),
  listen: z
    .string()
    .regex(/^unix:\/\/\//, 'must be a unix:///absolute/path address')
    .default('unix:///run/criod/criod.sock')
    .describe('Address of the CRI socket, `unix:///absolute/path` (created with mode 0660). Overridden by --listen.'),
  root: absolutePath.default('/var/lib/criod').describe('Persistent state dir (records, images, CNI cache), absolute. Overridden by --root.'),
  runroot: absolutePath
    .default('/run/criod')
    .describe('Volatile state dir (sockets, pinned ipc/uts namespaces, runtime roots), absolute. Overridden by --runroot.'),
  plugins: pluginsSchema
    .prefault({})
    .describe('Which plugin package serves each kind; each selected plugin owns the config section named in its heading below.'),
  image: z
    .strictObject({
      pause_image: z.string().min(1).default('registry.k8s.io/pause:3.10').describe('Infra image, pulled and run only for pods that share one PID namespace.'),
      registries: z
        .record(z.string().min(1).meta({ title: 'prefix' }), registrySchema)
        .default({})
        .describe('Settings per registry prefix, the table key (e.g. "docker.io", "127.0.0.1:5000", "quay.io/org"): remap, insecure, mirrors.'),
    })
    .prefault({})
    .describe('Image pulls.'),
  streaming: z
    .strictObject({
      address: z.string().min(1).default('127.0.0.1').describe('Listen address of the Exec/Attach/PortForward server; the URLs kubelet gets carry it.'),
      port: port
        .default(0)
        .describe(
          'Its TCP port, 0–65535; 0 picks a free one. The server starts at the first Exec, Attach or PortForward: a port it cannot bind fails that call (Internal), not the start of criod.',
        ),
    })
    .prefault({})
    .describe('The streaming server of Exec, Attach and PortForward.'),
  metrics: z
    .strictObject({
      enable: z.boolean().default(false).describe('Serve Prometheus metrics on `http://address:port/metrics`; nothing listens unless true.'),
      address: z.string().min(1).default('127.0.0.1').describe('Listen address of the metrics server.'),
      port: port.default(9090).describe("Its TCP port, 0–65535 (9090 is CRI-O's default); 0 picks a free one."),
    })
    .prefault({})
    .describe('Prometheus metrics.'),
};
export class ConfigError extends Error {
  name = 'ConfigError';
}
/** Read the TOML file; an absent file at the default path means built-in defaults. */
export async function readConfigFile(path, explicit) {
  let text;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isNotFound(err) && !explicit) return {};
    throw new ConfigError(`cannot read config file ${path}: ${err.message}`);
  }
  try {
    return parseToml(text);
  } catch (err) {
    const where = err instanceof TomlError ? ` (line ${err.line}, column ${err.column})` : '';
    throw new ConfigError(`${path}: invalid TOML${where}: ${err.message.split('\n')[0]}`);
  }
}
function describeIssues(source, error) {
  const lines = error.issues.map((issue) => {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => `unknown config key "${at ? `${at}.${k}` : k}"`).join('\n');
    }
    return `bad value for config key "${at}": ${issue.message}`;
  });
  return `${source}: ${lines.join(`\n${source}: `)}`;
}
/** Only the [plugins] section, parsed first to know which plugins own which other sections. */
export function parsePluginsSection(raw, source) {
  const r = z.strictObject({ plugins: pluginsSchema.optional() }).catchall(z.unknown()).safeParse(raw);
  if (!r.success) throw new ConfigError(describeIssues(source, r.error));
  return r.data.plugins ?? pluginsSchema.parse({});
}
/** Validate the whole document against the daemon's keys and the plugins' sections. */
export function buildEffectiveConfig(raw, overrides, definitions, source) {
  const shape = { ...daemonShape };
  for (const def of definitions) {
    if (def.configSection in shape) {
      throw new ConfigError(`plugin ${def.name} claims config section [${def.configSection}], which is already taken`);
    }
    const section = def.configSchema;
    shape[def.configSection] = z.preprocess((v) => v ?? {}, section);
  }
  const merged = { ...raw };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) merged[k] = v;
  const r = z.strictObject(shape).safeParse(merged);
  if (!r.success) throw new ConfigError(describeIssues(source, r.error));
  return r.data;
}
/** The socket path of a unix:// listen address. */
export function socketPath(listen) {
  return listen.replace(/^unix:\/\//, '');
}
//# sourceMappingURL=config.js.map
