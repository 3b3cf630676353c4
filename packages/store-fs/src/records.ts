import { mkdir, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  InvalidArgumentError,
  NewerRecordError,
  decodeRecord,
  encodeRecord,
  errorMessage,
  isNotFound,
  writeFileAtomic,
  type Logger,
  type QuarantinedRecord,
  type RecordStore,
} from '@criod/core';
import type { z } from 'zod';

const idPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export interface DirRecordStoreOptions<T> {
  /** What every record must be on read. */
  schema: z.ZodType<T>;
  /** Where unreadable records are moved; on the same filesystem as the records dir. */
  quarantineDir: string;
}

/** The record files (<id>.json) in a dir; none when it does not exist. Temp files start with a dot. */
async function recordFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => name.endsWith('.json') && !name.startsWith('.')).sort();
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

/**
 * One JSON file per record in a directory; every write is atomic, every read validated. An
 * unreadable record is moved to the quarantine dir, where its id is still its file name.
 */
export class DirRecordStore<T extends { id: string }> implements RecordStore<T> {
  private readonly schema: z.ZodType<T>;
  readonly quarantineDir: string;

  constructor(
    readonly dir: string,
    private readonly logger: Logger,
    options: DirRecordStoreOptions<T>,
  ) {
    this.schema = options.schema;
    this.quarantineDir = options.quarantineDir;
  }

  private path(id: string): string {
    // Ids become file names: refuse anything that could escape the dir.
    if (!idPattern.test(id)) throw new InvalidArgumentError(`invalid record id ${JSON.stringify(id)}`);
    return join(this.dir, `${id}.json`);
  }

  private async read(file: string): Promise<T> {
    return decodeRecord(this.schema, await readFile(file, 'utf8'), file);
  }

  async put(record: T): Promise<void> {
    await writeFileAtomic(this.path(record.id), encodeRecord(record));
  }

  async get(id: string): Promise<T | undefined> {
    try {
      return await this.read(this.path(id));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async delete(id: string): Promise<void> {
    try {
      await unlink(this.path(id));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async list(): Promise<T[]> {
    const out: T[] = [];
    const unreadable: { name: string; error: string }[] = [];
    for (const name of await recordFiles(this.dir)) {
      try {
        out.push(await this.read(join(this.dir, name)));
      } catch (err) {
        if (err instanceof NewerRecordError) throw err;
        if (isNotFound(err)) continue; // deleted meanwhile
        unreadable.push({ name, error: errorMessage(err) });
      }
    }
    // Only once no record is newer: a refused start moves nothing.
    for (const { name, error } of unreadable) await this.quarantine(name, error);
    return out;
  }

  /** Move a record aside; failing to is fatal, since leaving it out would orphan what it owns. */
  private async quarantine(name: string, error: string): Promise<void> {
    const from = join(this.dir, name);
    const to = join(this.quarantineDir, name);
    await mkdir(this.quarantineDir, { recursive: true, mode: 0o700 });
    await rename(from, to);
    this.logger.error({ file: from, quarantined: to, error }, 'unreadable record quarantined');
  }

  async quarantined(): Promise<QuarantinedRecord[]> {
    const out: QuarantinedRecord[] = [];
    for (const name of await recordFiles(this.quarantineDir)) {
      const path = join(this.quarantineDir, name);
      // Read again rather than kept: the reason survives restarts without a second file.
      const error = await this.read(path).then(
        () => `readable now: move it back to ${this.dir} and restart criod to restore it`,
        (err: unknown) => errorMessage(err),
      );
      out.push({ id: name.slice(0, -'.json'.length), path, error });
    }
    return out;
  }
}
