/** Node's errno codes ("ENOENT", "EBUSY", …) of fs, child_process and socket errors. */

/** The error's `code`, as a string, or undefined when it has none. */
export function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** True for ENOENT: the file, dir or binary is not there. */
export function isNotFound(err: unknown): boolean {
  return errnoOf(err) === 'ENOENT';
}
