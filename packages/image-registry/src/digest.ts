/** Content digests ("sha256:<hex>") and their verification. */
import { createHash, type Hash } from 'node:crypto';
import { InvalidArgumentError } from '@criod/core';

const hexLengths: Record<string, number> = { sha256: 64, sha512: 128 };

export interface ParsedDigest {
  algorithm: 'sha256' | 'sha512';
  hex: string;
}

/** Validate a digest; only the algorithms OCI registries use are accepted. */
export function parseDigest(digest: string): ParsedDigest {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const length = hexLengths[algorithm];
  if (colon === -1 || length === undefined) throw new InvalidArgumentError(`unsupported digest ${JSON.stringify(digest)}: want sha256:<hex> or sha512:<hex>`);
  if (hex.length !== length || !/^[a-f0-9]+$/.test(hex))
    throw new InvalidArgumentError(`malformed digest ${JSON.stringify(digest)}: want ${length} lowercase hex digits`);
  return { algorithm: algorithm as ParsedDigest['algorithm'], hex };
}

/** A hasher for the digest's algorithm. */
export function hasherFor(digest: string): Hash {
  return createHash(parseDigest(digest).algorithm);
}

export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The digest of bytes, in the algorithm of `expected`. */
export function digestLike(expected: string, data: Uint8Array): string {
  const { algorithm } = parseDigest(expected);
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}
