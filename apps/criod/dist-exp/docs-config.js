/**
 * `pnpm docs:config`: rewrites the generated config-reference blocks of the repository's READMEs
 * (the root one and each package's) from the zod schemas. The criod tests run the same check
 * without writing, so a README out of step with the schemas fails CI.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isNotFound } from '@criod/core';
import { spliceConfigReference } from './config-reference.js';
import { documentedPlugins } from './plugins.js';
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** The READMEs that may hold generated blocks: the repository's and each package's. */
async function readmes() {
  const packages = await readdir(join(repoRoot, 'packages'));
  return [join(repoRoot, 'README.md'), ...packages.sort().map((p) => join(repoRoot, 'packages', p, 'README.md'))];
}
/** The READMEs whose generated blocks differ from the schemas; rewritten when `write` is set. */
export async function staleConfigReferences(write) {
  const plugins = await documentedPlugins([]);
  const stale = [];
  for (const file of await readmes()) {
    let text;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if (isNotFound(err)) continue;
      throw err;
    }
    const generated = spliceConfigReference(text, plugins);
    if (generated === text) continue;
    stale.push(file);
    if (write) await writeFile(file, generated);
  }
  return stale;
}
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rewritten = await staleConfigReferences(true);
  for (const file of rewritten) process.stdout.write(`rewrote the config reference in ${relative(repoRoot, file)}\n`);
  if (rewritten.length === 0) process.stdout.write('config references are up to date\n');
}
//# sourceMappingURL=docs-config.js.map
