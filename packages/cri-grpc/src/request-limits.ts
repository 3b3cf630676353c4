/**
 * Size limits on every decoded CRI request, checked before any handler runs: a 1 MiB id or a
 * 100k-entry selector is refused at once, named by its field and size, and never echoed back or
 * logged (Kubernetes' own limits where it has them).
 */
/** Identifiers: full ids are 64 hex digits; kubelet and crictl may also send unique prefixes. */
const ID_MAX = 128;
/** DNS-1123 subdomain, Kubernetes' limit for object names, namespaces and hostnames. */
const NAME_MAX = 253;
/** A qualified label key: a 253-character DNS prefix, '/', a 63-character name. */
const MAP_KEY_MAX = 317;
/** Kubernetes' TotalAnnotationSizeLimitB, applied to every string map of a request. */
const MAP_BYTES_MAX = 256 * 1024;
const MAP_ENTRIES_MAX = 1024;
/** PATH_MAX. */
const PATH_MAX = 4096;
const LIST_ENTRIES_MAX = 16 * 1024;
/** Anything else: command lines, tokens, JSON annotations of a single value. */
const STRING_MAX = 1024 * 1024;

const stringLimits: Record<string, number> = {
  id: ID_MAX,
  podSandboxId: ID_MAX,
  containerId: ID_MAX,
  name: NAME_MAX,
  namespace: NAME_MAX,
  uid: NAME_MAX,
  hostname: NAME_MAX,
  runtimeHandler: NAME_MAX,
  image: PATH_MAX,
  userSpecifiedImage: PATH_MAX,
  logDirectory: PATH_MAX,
  logPath: PATH_MAX,
  hostPath: PATH_MAX,
  containerPath: PATH_MAX,
  workingDir: PATH_MAX,
  cgroupParent: PATH_MAX,
  localhostRef: PATH_MAX,
  location: PATH_MAX,
};

/** The first field over its limit, named with its size (never its value), or undefined. */
export function requestOverLimit(request: unknown): string | undefined {
  return findOverLimit(request, '');
}

function findOverLimit(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') {
    const field = path.slice(path.lastIndexOf('.') + 1).replace(/\[\d+\]$/, '');
    const max = stringLimits[field] ?? STRING_MAX;
    return value.length > max ? `${path} is ${value.length} characters long; at most ${max}` : undefined;
  }
  if (Array.isArray(value)) {
    if (value.length > LIST_ENTRIES_MAX) return `${path} has ${value.length} entries; at most ${LIST_ENTRIES_MAX}`;
    for (const [i, item] of value.entries()) {
      const problem = findOverLimit(item, `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return undefined;
  if (isStringMap(path)) return stringMapOverLimit(value as Record<string, unknown>, path);
  for (const [key, child] of Object.entries(value)) {
    const problem = findOverLimit(child, path ? `${path}.${key}` : key);
    if (problem) return problem;
  }
  return undefined;
}

const STRING_MAPS = new Set(['labels', 'annotations', 'labelSelector', 'sysctls']);

function isStringMap(path: string): boolean {
  return STRING_MAPS.has(path.slice(path.lastIndexOf('.') + 1));
}

function stringMapOverLimit(map: Record<string, unknown>, path: string): string | undefined {
  const keys = Object.keys(map);
  if (keys.length > MAP_ENTRIES_MAX) return `${path} has ${keys.length} entries; at most ${MAP_ENTRIES_MAX}`;
  let bytes = 0;
  for (const key of keys) {
    if (key.length > MAP_KEY_MAX) return `a key of ${path} is ${key.length} characters long; at most ${MAP_KEY_MAX}`;
    const v = map[key];
    bytes += key.length + (typeof v === 'string' ? v.length : 0);
  }
  return bytes > MAP_BYTES_MAX ? `${path} holds ${bytes} characters; at most ${MAP_BYTES_MAX}` : undefined;
}
