import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, NotFoundError } from '../errors.js';

/** A new pod or container id: 64 hex characters, like CRI-O's and containerd's. */
export function newId(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The one id among `ids` that equals `ref` or starts with it, as crictl lets users abbreviate.
 * An empty ref is InvalidArgument, none is NotFound, several is InvalidArgument.
 */
export function resolveIdPrefix(ref: string, ids: Iterable<string>, what: string): string {
  if (ref === '') throw new InvalidArgumentError(`${what} id must not be empty`);
  const matches: string[] = [];
  for (const id of ids) {
    if (id === ref) return id;
    if (id.startsWith(ref)) matches.push(id);
  }
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new NotFoundError(`${what} ${ref} not found`);
  throw new InvalidArgumentError(`${what} id prefix ${ref} is ambiguous: it matches ${matches.length} ${what}s`);
}
