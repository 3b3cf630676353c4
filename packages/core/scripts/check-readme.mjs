/**
 * Type-checks the ```ts blocks of core's README.md, so the plugin guide keeps compiling. A block
 * whose first line is `// <path>.ts` is that file of the example package (blocks naming the
 * same file are joined in order); any other block is a file of its own. They compile against
 * core's sources (and net-netns's, which the guide's test uses), so no build is needed first.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(pkg, 'README.md'), 'utf8');

const files = new Map();
let anonymous = 0;
for (const [, code] of readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
  const named = /^\/\/ (\S+\.ts)\n/.exec(code);
  const path = named ? named[1] : `block-${++anonymous}.ts`;
  files.set(path, `${files.get(path) ?? ''}${code}`);
}
if (files.size === 0) throw new Error('README.md has no ```ts block to check');

// Inside the package, so zod, vitest and node's types resolve as they do for core itself.
const dir = mkdtempSync(join(pkg, '.readme-check-'));
try {
  for (const [path, code] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), code);
  }
  const src = (path) => relative(dir, join(pkg, path));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: relative(dir, join(pkg, '..', '..', 'tsconfig.base.json')),
      compilerOptions: {
        noEmit: true,
        paths: {
          '@criod/core': [src('src/index.ts')],
          '@criod/core/testing': [src('src/testing/index.ts')],
          '@criod/net-netns': [src('../net-netns/src/index.ts')],
        },
      },
      include: ['**/*.ts'],
    }),
  );
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  // Run in the temp dir: tsc names the files as the blocks do (src/index.ts).
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8' });
  if (result.status === 0) {
    console.log(`README.md: the ${files.size} TypeScript file(s) of its code blocks type-check`);
  } else {
    process.stderr.write(`README.md's code blocks do not type-check:\n${result.stdout}${result.stderr}`);
    process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
