/** Memory of processes from /proc: criod's resident set and the proportional share of each conmon. */
import { readFileSync } from 'node:fs';

export interface Rss {
  /** Resident set, MB. */
  total: number;
  /** Anonymous (heap, stacks) and file-backed (the node binary, libraries) parts, MB. */
  anon: number;
  file: number;
}

export function rssOf(pid: number): Rss {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { total: kb('VmRSS') / 1024, anon: kb('RssAnon') / 1024, file: (kb('RssFile') + kb('RssShmem')) / 1024 };
}

/** Proportional set size of a process in MB: shared pages count once across all sharers. */
export function pssOf(pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? NaN) / 1024;
}
