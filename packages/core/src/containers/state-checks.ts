/**
 * Every live container is checked again about this often in the background (recheck-sweep.ts):
 * the safety net for an exit the runtime did not announce (its supervising process killed, an
 * event lost).
 */
export const RECHECK_AFTER_MS = 10_000;

/** Taken before asking the runtime; confirming with it counts only if no exit was announced since. */
export interface CheckTicket {
  seq: number;
  at: number;
}

/**
 * What core knows of how current each container record is. While the runtime's exit events are
 * watched, a running or created container only changes by exiting, and the runtime announces
 * that: a record checked since its last announced exit is current, so lists and statuses answer
 * from memory instead of asking the runtime per container per call. Without events (a runtime
 * without watchExits, or before restore started watching) every read asks the runtime.
 */
export class StateChecks {
  private watching = false;
  private seq = 0;
  /** Container id → its last confirmation, in the order they were made (see due). */
  private readonly checked = new Map<string, CheckTicket>();
  /** Container id → seq of its last announced exit. */
  private readonly exits = new Map<string, number>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Exits are announced from now on; checks made before may have missed one. */
  startWatching(): void {
    this.watching = true;
    this.checked.clear();
  }

  ticket(): CheckTicket {
    return { seq: ++this.seq, at: this.now() };
  }

  /** The runtime announced that the container may have exited. */
  exitAnnounced(id: string): void {
    this.exits.set(id, ++this.seq);
  }

  /** The record matched the runtime when the ticket was taken. */
  confirm(id: string, ticket: CheckTicket): void {
    const last = this.checked.get(id);
    if (last && last.seq >= ticket.seq) return;
    // Re-inserted, so that `checked` stays in the order of the checks: the longest unchecked come first.
    this.checked.delete(id);
    this.checked.set(id, ticket);
  }

  forget(id: string): void {
    this.checked.delete(id);
    this.exits.delete(id);
  }

  /** 'current': answer from memory; 'unchecked': ask the runtime before answering. */
  verdict(id: string): 'current' | 'unchecked' {
    const last = this.checked.get(id);
    return !this.watching || !last || (this.exits.get(id) ?? 0) > last.seq ? 'unchecked' : 'current';
  }

  /** The containers last confirmed RECHECK_AFTER_MS ago or longer, the longest unchecked first. */
  due(): string[] {
    const before = this.now() - RECHECK_AFTER_MS;
    const out: string[] = [];
    for (const [id, last] of this.checked) {
      if (last.at > before) break;
      out.push(id);
    }
    return out;
  }
}
