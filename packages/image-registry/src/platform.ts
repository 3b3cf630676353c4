/**
 * Which manifest of an index to pull: the host's OS and architecture, with the variant rules of
 * containerd's platform matcher (arm v7 runs v6 and v5, amd64 v1 is no variant, arm64 is v8).
 */
import type { Descriptor } from './manifest.js';

export interface Platform {
  os: string;
  architecture: string;
  /** "" when the architecture has no variant. */
  variant: string;
}

const architectureAliases: Record<string, string> = {
  x64: 'amd64',
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  armhf: 'arm',
  armel: 'arm',
  ia32: '386',
  i386: '386',
};

/** The variant an architecture has when none is written. */
const implicitVariant: Record<string, string> = { amd64: 'v1', arm64: 'v8', arm: 'v7' };

export function normalizePlatform(p: { os: string; architecture: string; variant?: string | undefined }): Platform {
  const architecture = architectureAliases[p.architecture.toLowerCase()] ?? p.architecture.toLowerCase();
  let variant = (p.variant ?? '').toLowerCase();
  if (p.architecture === 'armel' && variant === '') variant = 'v6';
  if (variant === '') variant = implicitVariant[architecture] ?? '';
  if (architecture === 'arm64' && variant === '8') variant = 'v8';
  return { os: p.os.toLowerCase(), architecture, variant };
}

/** The platform of this process. */
export function hostPlatform(): Platform {
  const armVersion = (process.config.variables as { arm_version?: string }).arm_version;
  return normalizePlatform({ os: process.platform, architecture: process.arch, variant: process.arch === 'arm' && armVersion ? `v${armVersion}` : '' });
}

function variantLevel(variant: string): number | undefined {
  const m = /^v(\d+)$/.exec(variant);
  return m ? Number(m[1]) : undefined;
}

/** 0 = no match, higher = better: an exact variant beats an older one the host also runs. */
function score(candidate: Platform, host: Platform): number {
  if (candidate.os !== host.os || candidate.architecture !== host.architecture) return 0;
  if (candidate.variant === host.variant) return 1000;
  const c = variantLevel(candidate.variant);
  const h = variantLevel(host.variant);
  if (c === undefined || h === undefined || c > h) return 0;
  return 1 + c;
}

/** The best manifest of an index for the platform, or undefined when none runs on it. */
export function selectManifest(manifests: readonly Descriptor[], platform: Platform): Descriptor | undefined {
  let best: Descriptor | undefined;
  let bestScore = 0;
  for (const m of manifests) {
    if (!m.platform) continue;
    const s = score(normalizePlatform(m.platform), platform);
    if (s > bestScore) {
      best = m;
      bestScore = s;
    }
  }
  return best;
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}
