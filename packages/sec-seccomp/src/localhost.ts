/**
 * Localhost profiles: a JSON file on the node, named by absolute path. Anything wrong with it is
 * the caller's to fix, so every failure is an InvalidArgument naming the path and the problem.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { InvalidArgumentError } from '@criod/core';
import type { z } from 'zod';
import { seccompProfileSourceSchema, type SeccompProfileSource } from './profile-schema.js';

const maxIssuesShown = 5;

function describeIssues(error: z.ZodError): string {
  const lines = error.issues.slice(0, maxIssuesShown).map((issue) => {
    const at = issue.path.map(String).join('.');
    return at ? `${at}: ${issue.message}` : issue.message;
  });
  const more = error.issues.length - lines.length;
  return lines.join('; ') + (more > 0 ? ` (and ${more} more)` : '');
}

function readError(path: string, err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'the file does not exist';
    case 'EISDIR':
      return 'it is a directory, not a file';
    case 'EACCES':
      return 'criod may not read it';
    default:
      return `it cannot be read (${(err as Error).message.replace(path, '').trim()})`;
  }
}

/** Read and validate the seccomp profile at `path`. */
export async function loadLocalhostProfile(path: string): Promise<SeccompProfileSource> {
  if (!isAbsolute(path)) throw new InvalidArgumentError(`seccomp localhost profile "${path}" must be an absolute path`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`seccomp localhost profile ${path}: ${readError(path, err)}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`seccomp localhost profile ${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = seccompProfileSourceSchema.safeParse(json);
  if (!parsed.success) throw new InvalidArgumentError(`seccomp localhost profile ${path} is not a valid seccomp profile: ${describeIssues(parsed.error)}`);
  return parsed.data;
}
