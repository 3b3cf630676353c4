/**
 * Where a reference is pulled from, per [image.registries."<prefix>"]: the longest matching
 * prefix decides; a `location` remaps the prefix to another place with no fallback, else the
 * mirrors are tried in order before the registry itself.
 */
import { InvalidArgumentError, type RegistriesConfig, type RegistrySettings } from '@criod/core';
import type { ImageReference } from './reference.js';

export interface Endpoint {
  /** host[:port] the HTTP requests go to. */
  host: string;
  /** Repository path in that registry. */
  repository: string;
  /** Plain http (and unverified TLS) allowed. */
  insecure: boolean;
  /** How the endpoint came about, for logs and errors. */
  role: 'registry' | 'mirror' | 'location';
}

/** Docker Hub's API lives on another host than its name. */
const apiHosts: Record<string, string> = { 'docker.io': 'registry-1.docker.io' };

/** Loopback registries may be plain http without being marked insecure, as CRI-O and containerd allow. */
export function isLoopbackHost(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

function prefixMatches(prefix: string, name: string): boolean {
  return name === prefix || name.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}

/** The longest configured prefix of a full name ("docker.io/library/busybox"), if any. */
export function matchRegistry(name: string, registries: RegistriesConfig): { prefix: string; settings: RegistrySettings } | undefined {
  let best: { prefix: string; settings: RegistrySettings } | undefined;
  for (const [prefix, settings] of Object.entries(registries)) {
    if (prefixMatches(prefix, name) && (!best || prefix.length > best.prefix.length)) best = { prefix, settings };
  }
  return best;
}

/** Replace `prefix` of `name` by a location "host[:port][/path]". */
function relocate(name: string, prefix: string, location: string): { host: string; repository: string } {
  const trimmed = location.replace(/\/+$/, '');
  const rest = name.slice(prefix.replace(/\/+$/, '').length).replace(/^\/+/, '');
  const full = rest === '' ? trimmed : `${trimmed}/${rest}`;
  const slash = full.indexOf('/');
  if (slash <= 0)
    throw new InvalidArgumentError(`registry location ${JSON.stringify(location)} for ${JSON.stringify(prefix)} leaves no repository path for ${name}`);
  return { host: full.slice(0, slash), repository: full.slice(slash + 1) };
}

function endpoint(host: string, repository: string, insecure: boolean, role: Endpoint['role']): Endpoint {
  return { host: apiHosts[host] ?? host, repository, insecure: insecure || isLoopbackHost(host), role };
}

/** The endpoints to try for a reference, in order. */
export function endpointsFor(ref: ImageReference, registries: RegistriesConfig): Endpoint[] {
  const match = matchRegistry(ref.name, registries);
  if (!match) return [endpoint(ref.domain, ref.path, false, 'registry')];
  const { prefix, settings } = match;
  if (settings.location !== '') {
    const to = relocate(ref.name, prefix, settings.location);
    return [endpoint(to.host, to.repository, settings.insecure, 'location')];
  }
  const mirrors = settings.mirrors.map((m) => {
    const to = relocate(ref.name, prefix, m);
    // A mirror is insecure by its own entry, not by the entry of the registry it mirrors.
    const own = matchRegistry(`${to.host}/${to.repository}`, registries);
    return endpoint(to.host, to.repository, own?.settings.insecure ?? false, 'mirror');
  });
  return [...mirrors, endpoint(ref.domain, ref.path, settings.insecure, 'registry')];
}
