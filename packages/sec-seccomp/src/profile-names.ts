/**
 * Seccomp profiles named by string: the `default_profile` config key and the CRI's deprecated
 * `seccomp_profile_path` field ("runtime/default", "docker/default", "unconfined",
 * "localhost/<absolute path>").
 */
import { InvalidArgumentError, type SecurityProfile } from '@criod/core';

const localhostPrefix = 'localhost/';
const legacyNames = new Set(['unconfined', 'runtime/default', 'docker/default']);

/** The profile a legacy name stands for; undefined for "" (nothing set). */
export function seccompProfileFromName(name: string): SecurityProfile | undefined {
  switch (name) {
    case '':
      return undefined;
    case 'unconfined':
      return { type: 'unconfined', localhostRef: '' };
    case 'runtime/default':
    case 'docker/default':
      return { type: 'runtimeDefault', localhostRef: '' };
  }
  if (name.startsWith(localhostPrefix)) return { type: 'localhost', localhostRef: name.slice(localhostPrefix.length) };
  throw new InvalidArgumentError(`unknown seccomp profile "${name}": use runtime/default, unconfined or localhost/<absolute path>`);
}

/**
 * A profile as the CRI request carries it, with a legacy name that arrived in localhostRef
 * ("runtime/default", "localhost//path/x.json") read as what it names.
 */
export function normalizeSeccompProfile(profile: SecurityProfile): SecurityProfile {
  const ref = profile.localhostRef;
  const legacy = profile.type === 'localhost' && (legacyNames.has(ref) || ref.startsWith(localhostPrefix));
  return legacy ? (seccompProfileFromName(ref) ?? profile) : profile;
}
