/**
 * Memory of processes from /proc — a daemon's resident set and the proportional share of each
 * per-pod process — and the table of the bench's measures, a group of columns per daemon.
 */
import { readFileSync } from 'node:fs';
import { loadAverage, printTable } from './stats.js';

export interface Rss {
  /** Resident set, MB. */
  total: number;
  /** Anonymous (heap, stacks) and file-backed (the binary, libraries) parts, MB. */
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

/** A daemon's RSS with the 1-minute load average when it was taken, or a figure in MB (e.g. a PSS per pod). */
type Cell = { rss: Rss; load: string } | number;

/** Rows of measures (fresh, with pods, after …); each daemon fills its cells of a row, at the same time or one after the other. */
export class MemoryTable {
  private readonly rows: { what: string; cells: Map<string, Cell> }[] = [];

  private row(what: string): Map<string, Cell> {
    let row = this.rows.find((r) => r.what === what);
    if (!row) this.rows.push((row = { what, cells: new Map() }));
    return row.cells;
  }

  measure(what: string, daemons: { name: string; pid: number }[]): void {
    for (const d of daemons) this.row(what).set(d.name, { rss: rssOf(d.pid), load: loadAverage().split(' ')[0]! });
  }

  figure(what: string, name: string, mb: number): void {
    this.row(what).set(name, mb);
  }

  rss(what: string, name: string): number {
    const cell = this.rows.find((r) => r.what === what)?.cells.get(name);
    return typeof cell === 'object' ? cell.rss.total : NaN;
  }

  /** RSS, anon, file, change since the first row, and load, for each daemon named. */
  print(title: string, names: string[]): void {
    const fresh = (name: string) => this.rss(this.rows[0]!.what, name);
    const cells = (name: string, cell: Cell | undefined, first: boolean): (string | number)[] => {
      if (cell === undefined) return ['', '', '', '', ''];
      if (typeof cell === 'number') return [cell, '', '', '', ''];
      const delta = cell.rss.total - fresh(name);
      return [cell.rss.total, cell.rss.anon, cell.rss.file, first ? '' : `${delta >= 0 ? '+' : ''}${delta.toFixed(1)}`, cell.load];
    };
    printTable(
      title,
      ['', ...names.flatMap((n) => [`${n} RSS`, 'anon', 'file', 'vs fresh', 'load avg'])],
      this.rows.map((r, i) => [r.what, ...names.flatMap((n) => cells(n, r.cells.get(n), i === 0))]),
    );
  }
}
