/**
 * Localhost profiles: a JSON file on the node, named by absolute path. Anything wrong with it is
 * the caller's to fix, so every failure is an InvalidArgument naming the path and the problem.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { InvalidArgumentError } from '@criod/core';
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
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'the file does not exist';
    case 'EACCES':
      return 'criod may not read it';
    default:
      return `it cannot be read (${(err as Error).message.replace(path, '').trim()})`;
  }
}

/**
 * The text of a regular file of at most LOCALHOST_PROFILE_MAX_BYTES. Opened non-blocking so a
 * FIFO cannot hang the call; devices (/dev/zero, /dev/urandom) are refused before any read.
 */
async function readProfileFile(path: string): Promise<string> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new InvalidArgumentError(`seccomp localhost profile ${path}: ${readError(path, err)}`, { cause: err });
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw new InvalidArgumentError(`seccomp localhost profile ${path}: it is a directory, not a file`);
    if (!st.isFile()) throw new InvalidArgumentError(`seccomp localhost profile ${path}: it is not a regular file`);
    if (st.size > LOCALHOST_PROFILE_MAX_BYTES) throw new InvalidArgumentError(`seccomp localhost profile ${path}: ${st.size} bytes, more than ${LOCALHOST_PROFILE_MAX_BYTES}`);
    // One byte more than allowed tells a file that grew since stat.
    const buffer = Buffer.alloc(LOCALHOST_PROFILE_MAX_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > LOCALHOST_PROFILE_MAX_BYTES) throw new InvalidArgumentError(`seccomp localhost profile ${path}: more than ${LOCALHOST_PROFILE_MAX_BYTES} bytes`);
    return buffer.toString('utf8', 0, bytesRead);
  } finally {
    await handle.close();
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
