/**
 * Localhost profiles: a JSON file on the node, named by absolute path. Anything wrong with it is
 * the caller's to fix, so every failure is an InvalidArgument naming the path and the problem.
 */
import { isAbsolute } from 'node:path';
import { FileRefusedError, InvalidArgumentError, errnoOf, readRegularFile } from '@criod/core';
import type { z } from 'zod';
import { seccompProfileSourceSchema, type SeccompProfileSource } from './profile-schema.js';

const maxIssuesShown = 5;
/** Far above any real profile (Docker's default is ~20 KiB); bounds what one request can make criod read. */
export const LOCALHOST_PROFILE_MAX_BYTES = 1024 * 1024;

function describeIssues(error: z.ZodError): string {
  const lines = error.issues.slice(0, maxIssuesShown).map((issue) => {
    const at = issue.path.map(String).join('.');
    // Messages may quote the value found; the file's content is not the caller's to see.
    const message = issue.message.replace(/,? received .*$/s, '');
    return at ? `${at}: ${message}` : message;
  });
  const more = error.issues.length - lines.length;
  return lines.join('; ') + (more > 0 ? ` (and ${more} more)` : '');
}

function readError(path: string, err: unknown): string {
  switch (errnoOf(err)) {
    case 'ENOENT':
      return 'the file does not exist';
    case 'EACCES':
      return 'criod may not read it';
    default:
      return `it cannot be read (${(err as Error).message.replace(path, '').trim()})`;
  }
}

/** The profile's text: a regular file of at most LOCALHOST_PROFILE_MAX_BYTES, never a device or FIFO. */
async function readProfileFile(path: string): Promise<string> {
  try {
    return (await readRegularFile(path, LOCALHOST_PROFILE_MAX_BYTES)).toString('utf8');
  } catch (err) {
    const problem = err instanceof FileRefusedError ? err.message : readError(path, err);
    throw new InvalidArgumentError(`seccomp localhost profile ${path}: ${problem}`, { cause: err });
  }
}

/** Where JSON.parse stopped, if it says, without the text around it (V8 quotes the file's content). */
function jsonErrorPosition(err: unknown): string {
  const position = /position (\d+)/.exec((err as Error).message)?.[1];
  return position === undefined ? '' : ` (at byte ${position})`;
}

/** Read and validate the seccomp profile at `path`. */
export async function loadLocalhostProfile(path: string): Promise<SeccompProfileSource> {
  if (!isAbsolute(path)) throw new InvalidArgumentError(`seccomp localhost profile "${path}" must be an absolute path`);
  const text = await readProfileFile(path);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`seccomp localhost profile ${path} is not valid JSON${jsonErrorPosition(err)}`, { cause: err });
  }
  const parsed = seccompProfileSourceSchema.safeParse(json);
  if (!parsed.success) throw new InvalidArgumentError(`seccomp localhost profile ${path} is not a valid seccomp profile: ${describeIssues(parsed.error)}`);
  return parsed.data;
}
