/**
 * Bundles the daemon (dist/ after tsc) into bundle/: one minified ES module graph with code
 * splitting, so what an idle criod loads is the code it runs, not every package's source text.
 * Dynamic imports (the streaming server, metrics, the registry client, each bundled plugin)
 * stay separate chunks loaded on first use. README: Memory has the measurements.
 */
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${appDir}bundle`;

await rm(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: appDir,
  entryPoints: { criod: 'dist/bin.js' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Shorter identifiers are 1.5 MB less source and bytecode held at idle (README: Memory); logs
  // name errors by their `name`, and the linked source map maps stack traces back.
  minify: true,
  sourcemap: 'linked',
  // CommonJS dependencies (grpc-js, pino) call require() for Node's modules; an ES module has none.
  banner: { js: "import { createRequire as __criodRequire } from 'node:module'; const require = __criodRequire(import.meta.url);" },
  logLevel: 'warning',
});
