import { cpus, loadavg } from 'node:os';

/** Timing helpers of the benchmark: medians and quantiles of samples in ms, and the printed table. */
export async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export function quantile(samples: number[], q: number): number {
  const s = [...samples].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export const median = (samples: number[]) => quantile(samples, 0.5);

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** A table with a header row; the first column left-aligned, the others right-aligned. */
export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  console.log(`\n${title}`);
  for (const [n, r] of cells.entries()) {
    console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

export function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : '-';
}

/** The 1, 5 and 15 minute load averages: numbers from a loaded machine are read with them. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/**
 * The machine's busy CPU time in ms since boot, all cores together (user, nice, system, irq): every
 * process's work counts, the daemon's, its helpers' (runc, conmon, CNI plugins) and the kernel's.
 */
export function machineBusyMs(): number {
  return cpus().reduce((sum, { times }) => sum + times.user + times.nice + times.sys + times.irq, 0);
}

/** Wall and machine CPU time (ms) that runs took, summed over the runs measured. */
export class CpuTally {
  wallMs = 0;
  busyMs = 0;
  runs = 0;

  async measure<T>(runs: number, fn: () => Promise<T>): Promise<T> {
    const busy0 = machineBusyMs();
    const t0 = process.hrtime.bigint();
    const out = await fn();
    this.wallMs += Number(process.hrtime.bigint() - t0) / 1e6;
    this.busyMs += machineBusyMs() - busy0;
    this.runs += runs;
    return out;
  }

  /** Runs finished per second of wall time. */
  get perSecond(): number {
    return (this.runs * 1000) / this.wallMs;
  }

  /** How many cores were busy on average while the runs ran. */
  get coresBusy(): number {
    return this.busyMs / this.wallMs;
  }
}
