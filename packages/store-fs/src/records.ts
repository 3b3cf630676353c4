import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, type Logger, type RecordStore } from '@criod/core';
import { writeFileAtomic } from '@criod/core';
import { parseRecord, stringifyRecord } from './json.js';

const idPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** One JSON file per record in a directory; every write is atomic. */
export class DirRecordStore<T extends { id: string }> implements RecordStore<T> {
  constructor(
    readonly dir: string,
    private readonly logger: Logger,
  ) {}

  private path(id: string): string {
    // Ids become file names: refuse anything that could escape the dir.
    if (!idPattern.test(id)) throw new InvalidArgumentError(`invalid record id ${JSON.stringify(id)}`);
    return join(this.dir, `${id}.json`);
  }

  async put(record: T): Promise<void> {
    await writeFileAtomic(this.path(record.id), stringifyRecord(record));
  }

  async get(id: string): Promise<T | undefined> {
    try {
      return parseRecord<T>(await readFile(this.path(id), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async delete(id: string): Promise<void> {
    await rm(this.path(id), { force: true });
  }

  async list(): Promise<T[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: T[] = [];
    for (const name of names) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const file = join(this.dir, name);
      try {
        out.push(parseRecord<T>(await readFile(file, 'utf8')));
      } catch (err) {
        // A record that cannot be read is reported, not silently dropped, and does not hide the rest.
        this.logger.error({ err, file }, 'unreadable record skipped');
      }
    }
    return out;
  }
}
