/**
 * How scripts/up.sh starts criod's node: its V8 flags and GLIBC_TUNABLES (README: Memory), read
 * from the script itself, so that the bench and the memory checks measure criod as it runs.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const upSh = readFileSync(fileURLToPath(new URL('../../scripts/up.sh', import.meta.url)), 'utf8');

function parse(): { nodeArgs: string[]; env: { GLIBC_TUNABLES: string } } {
  const flags = /^node_flags=\(([^)]*)\)$/m.exec(upSh)?.[1];
  const tunables = /^export GLIBC_TUNABLES="\$\{GLIBC_TUNABLES:-([^}"]*)\}"$/m.exec(upSh)?.[1];
  if (flags === undefined || tunables === undefined)
    throw new Error('scripts/up.sh no longer sets node_flags=(…) and GLIBC_TUNABLES as test-e2e/src/up-sh-launch.ts reads them');
  return { nodeArgs: flags.split(/\s+/).filter(Boolean), env: { GLIBC_TUNABLES: tunables } };
}

export const upShLaunch = parse();
