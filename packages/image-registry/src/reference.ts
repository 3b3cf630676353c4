/**
 * Image references as docker, containerd and CRI-O read them: `busybox` is
 * docker.io/library/busybox:latest, `host:port/repo:tag` names another registry, and
 * `name@sha256:<hex>` pins a digest.
 */
import { InvalidArgumentError } from '@criod/core';
import { parseDigest } from './digest.js';

export const defaultDomain = 'docker.io';
const legacyDefaultDomain = 'index.docker.io';
const officialRepoPrefix = 'library/';
const defaultTag = 'latest';
const maxNameLength = 255;

const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const domainPattern =
  /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;
const fullHexId = /^[a-f0-9]{64}$/;

export class ImageReference {
  constructor(
    /** Registry host, with its port: "docker.io", "127.0.0.1:5000". */
    readonly domain: string,
    /** Repository path in that registry: "library/busybox". */
    readonly path: string,
    readonly tag: string | undefined,
    /** "sha256:<hex>" when the reference pins a digest. */
    readonly digest: string | undefined,
  ) {}

  /** domain/path, without tag or digest. */
  get name(): string {
    return `${this.domain}/${this.path}`;
  }

  /** The tag or digest the registry is asked for; a digest wins over a tag. */
  get manifestRef(): string {
    return this.digest ?? this.tag ?? defaultTag;
  }

  /** name:tag, or undefined for a digest-only reference. */
  get taggedName(): string | undefined {
    return this.tag === undefined ? undefined : `${this.name}:${this.tag}`;
  }

  withDigest(digest: string): string {
    return `${this.name}@${digest}`;
  }

  toString(): string {
    return `${this.name}${this.tag === undefined ? '' : `:${this.tag}`}${this.digest === undefined ? '' : `@${this.digest}`}`;
  }
}

function invalid(ref: string, why: string): never {
  throw new InvalidArgumentError(`invalid image reference ${JSON.stringify(ref)}: ${why}`);
}

/** Split "domain/remainder" the way docker does: a first component is a domain only if it looks like one. */
function splitDomain(name: string): [string, string] {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const looksLikeDomain = slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.toLowerCase() !== first);
  let domain = looksLikeDomain ? first : defaultDomain;
  let remainder = looksLikeDomain ? name.slice(slash + 1) : name;
  if (domain === legacyDefaultDomain) domain = defaultDomain;
  if (domain === defaultDomain && !remainder.includes('/')) remainder = officialRepoPrefix + remainder;
  return [domain, remainder];
}

/**
 * Parse and normalise a reference; a malformed one is an InvalidArgumentError naming what is
 * wrong. With neither tag nor digest the tag is "latest".
 */
export function parseReference(ref: string): ImageReference {
  if (ref === '') invalid(ref, 'it is empty');
  if (ref !== ref.trim()) invalid(ref, 'it has surrounding whitespace');
  if (fullHexId.test(ref)) invalid(ref, 'a 64-character hex string is an image id, not a repository name');

  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    const d = rest.slice(at + 1);
    try {
      parseDigest(d);
    } catch (err) {
      invalid(ref, (err as Error).message);
    }
    digest = d;
    rest = rest.slice(0, at);
  }

  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!tagPattern.test(tag)) invalid(ref, `bad tag ${JSON.stringify(tag)}`);
  }

  if (rest === '') invalid(ref, 'no repository name');
  const [domain, path] = splitDomain(rest);
  if (!domainPattern.test(domain)) invalid(ref, `bad registry host ${JSON.stringify(domain)}`);
  if (path.toLowerCase() !== path) invalid(ref, 'repository name must be lowercase');
  for (const component of path.split('/')) {
    if (!pathComponent.test(component)) invalid(ref, `bad repository path component ${JSON.stringify(component)}`);
  }
  if (domain.length + 1 + path.length > maxNameLength) invalid(ref, `name longer than ${maxNameLength} characters`);
  return new ImageReference(domain, path, tag === undefined && digest === undefined ? defaultTag : tag, digest);
}

/** parseReference, or undefined for a malformed reference. */
export function tryParseReference(ref: string): ImageReference | undefined {
  try {
    return parseReference(ref);
  } catch {
    return undefined;
  }
}
