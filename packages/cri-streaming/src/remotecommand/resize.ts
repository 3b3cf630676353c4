/**
 * Terminal resize events: a stream of JSON objects {"Width":w,"Height":h} (Go's json.Encoder
 * output, newline-separated, but any whitespace or none is accepted). Like Go's json.Decoder, a
 * malformed event ends the stream of events.
 */
export interface TerminalSize {
  width: number;
  height: number;
}

const MAX_PENDING = 4096;

export class TerminalSizeDecoder {
  private pending = '';
  private broken = false;

  /** Feed bytes; returns the complete events they finish. Throws once on malformed input. */
  push(chunk: Buffer): TerminalSize[] {
    if (this.broken) return [];
    this.pending += chunk.toString('utf8');
    const sizes: TerminalSize[] = [];
    try {
      for (let object = this.nextObject(); object !== undefined; object = this.nextObject()) {
        sizes.push(toTerminalSize(JSON.parse(object)));
      }
      if (this.pending.length > MAX_PENDING) throw new Error(`resize event longer than ${MAX_PENDING} bytes`);
    } catch (err) {
      this.broken = true;
      throw err;
    }
    return sizes;
  }

  /** Cut the first complete top-level JSON object out of the pending text. */
  private nextObject(): string | undefined {
    const start = this.pending.search(/\S/);
    if (start < 0) {
      this.pending = '';
      return undefined;
    }
    if (this.pending[start] !== '{') throw new Error(`resize event is not a JSON object: ${this.pending.slice(start, start + 20)}`);
    let depth = 0;
    let inString = false;
    for (let i = start; i < this.pending.length; i++) {
      const c = this.pending[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        const object = this.pending.slice(start, i + 1);
        this.pending = this.pending.slice(i + 1);
        return object;
      }
    }
    return undefined;
  }
}

function toTerminalSize(value: unknown): TerminalSize {
  if (typeof value !== 'object' || value === null) throw new Error('resize event is not an object');
  // Go matches JSON keys to the Width/Height fields case-insensitively.
  const fields = new Map(Object.entries(value).map(([k, v]) => [k.toLowerCase(), v]));
  const dimension = (name: string): number => {
    const v = fields.get(name) ?? 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff) throw new Error(`resize event has a bad ${name}: ${String(v)}`);
    return v;
  };
  return { width: dimension('width'), height: dimension('height') };
}
