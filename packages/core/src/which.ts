import { access, constants } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * The absolute path of an executable: a path is checked as given, a bare name is looked up in
 * PATH (plus the sbin dirs, which a daemon started by a minimal init may lack). Undefined when
 * nothing executable is found.
 */
export async function findExecutable(nameOrPath: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const candidates = nameOrPath.includes('/')
    ? [nameOrPath]
    : [...(env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'].filter((d) => isAbsolute(d)).map((d) => join(d, nameOrPath));
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return c;
    } catch {
      // try the next one
    }
  }
  return undefined;
}
