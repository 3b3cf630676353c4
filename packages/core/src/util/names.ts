import { AlreadyExistsError } from '../errors.js';

/**
 * Unique names of pods (and of containers within pods): a name is held by one id from the
 * moment a create call starts until the object is removed.
 */
export class NameRegistry {
  private readonly byName = new Map<string, string>();

  /** Hold `name` for `id`; AlreadyExists names the current holder. */
  reserve(name: string, id: string, what: string): void {
    const holder = this.byName.get(name);
    if (holder !== undefined && holder !== id) {
      throw new AlreadyExistsError(`${what} name "${name}" is already reserved for ${what} ${holder}`);
    }
    this.byName.set(name, id);
  }

  holder(name: string): string | undefined {
    return this.byName.get(name);
  }

  release(name: string, id: string): void {
    if (this.byName.get(name) === id) this.byName.delete(name);
  }
}
