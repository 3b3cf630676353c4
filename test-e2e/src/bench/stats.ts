/** Timing helpers of the benchmarks: medians and p90 over repeated runs, p50/p99 of load calls, printed as tables. */
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

export interface Row {
  operation: string;
  criod: number[];
  floor?: number[];
}

export function printTable(title: string, rows: Row[]): void {
  const fmt = (n: number) => (Number.isNaN(n) ? '-' : n.toFixed(2));
  console.log(`\n${title}`);
  console.log('operation'.padEnd(28) + 'criod median'.padStart(14) + 'p90'.padStart(10) + 'floor median'.padStart(14) + 'p90'.padStart(10) + 'overhead'.padStart(10) + '   (ms)');
  for (const r of rows) {
    const m = quantile(r.criod, 0.5);
    const fm = r.floor ? quantile(r.floor, 0.5) : NaN;
    const over = r.floor ? `${(((m - fm) / fm) * 100).toFixed(1)}%` : '-';
    console.log(
      r.operation.padEnd(28) + fmt(m).padStart(14) + fmt(quantile(r.criod, 0.9)).padStart(10) + fmt(fm).padStart(14) + fmt(r.floor ? quantile(r.floor, 0.9) : NaN).padStart(10) + over.padStart(10),
    );
  }
}

/** p50 and p99 (and the mean and max) of each operation, in ms. */
export function printLatencies(title: string, rows: { operation: string; samples: number[] }[]): void {
  const fmt = (n: number) => n.toFixed(2);
  console.log(`\n${title}`);
  console.log('operation'.padEnd(24) + 'p50'.padStart(10) + 'p99'.padStart(10) + 'mean'.padStart(10) + 'max'.padStart(10) + '   (ms)');
  for (const r of rows) {
    const mean = r.samples.reduce((a, b) => a + b, 0) / r.samples.length;
    console.log(r.operation.padEnd(24) + fmt(quantile(r.samples, 0.5)).padStart(10) + fmt(quantile(r.samples, 0.99)).padStart(10) + fmt(mean).padStart(10) + fmt(Math.max(...r.samples)).padStart(10));
  }
}
