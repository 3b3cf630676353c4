/**
 * Reading files that a request or an image names, without letting it reach further than meant:
 * paths resolved inside a root (an image's absolute symlink stays in the image), and files
 * read only when they are regular and small (no /dev/zero, no FIFO that never answers).
 */
import { constants } from 'node:fs';
import { lstat, open, readlink } from 'node:fs/promises';
import { posix } from 'node:path';

/** Linux's own limit on symlinks followed in one lookup. */
const MAX_SYMLINKS = 40;

export class FileRefusedError extends Error {
  override name = 'FileRefusedError';
}

/**
 * The host path of `path` as seen from inside `root`, as chroot would resolve it: absolute
 * symlinks start again at `root`, and '..' never climbs above it. Components that do not exist
 * are kept as they are (the caller's open then fails with ENOENT).
 */
export async function resolveInRoot(root: string, path: string): Promise<string> {
  const pending = path.split('/').filter(Boolean);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = posix.join(root, ...resolved, part);
    const st = await lstat(candidate).catch(() => undefined);
    if (!st?.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_SYMLINKS) throw new FileRefusedError(`too many symbolic links resolving ${path} inside ${root}`);
    const target = await readlink(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/').filter(Boolean));
  }
  return posix.join(root, ...resolved);
}

/**
 * The content of a regular file of at most maxBytes. Opened non-blocking so a FIFO cannot hang
 * the caller; anything that is not a regular file is refused before a byte is read.
 * Errors from open (ENOENT, EACCES, …) come through as they are.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw new FileRefusedError('it is a directory, not a file');
    if (!st.isFile()) throw new FileRefusedError('it is not a regular file');
    if (st.size > maxBytes) throw new FileRefusedError(`${st.size} bytes, more than ${maxBytes}`);
    // One byte more than stat said tells a file that grew since; it must still be in bounds.
    const buffer = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > maxBytes) throw new FileRefusedError(`more than ${maxBytes} bytes`);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
