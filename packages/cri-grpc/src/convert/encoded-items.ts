/**
 * List replies from encodings kept per item. A pod's PodSandbox and a container's Container change
 * only with the record's state once it exists (ids, metadata, labels, annotations, image and
 * creation time are fixed at creation), so ListPodSandbox and ListContainers re-encode the items
 * whose state changed, not every item's labels and annotations on every call.
 */
import { BinaryWriter } from '@bufbuild/protobuf/wire';

/** A reply already encoded as protobuf bytes: the server sends it as it is (see server.ts). */
export type Encoded<Message> = Uint8Array & { readonly encodes?: Message };

export class EncodedItems<Item extends object, State> {
  private readonly encoded = new WeakMap<Item, { state: State; bytes: Uint8Array }>();

  constructor(
    private readonly encode: (item: Item) => Uint8Array,
    /** What of the item may change and show in its encoding. */
    private readonly stateOf: (item: Item) => State,
  ) {}

  /** A message whose field `field` repeats the items, in order, and that has no other field set. */
  message<Message>(field: number, items: readonly Item[]): Encoded<Message> {
    const writer = new BinaryWriter();
    for (const item of items) writer.uint32((field << 3) | 2).bytes(this.bytes(item));
    return writer.finish();
  }

  private bytes(item: Item): Uint8Array {
    const state = this.stateOf(item);
    const kept = this.encoded.get(item);
    if (kept && kept.state === state) return kept.bytes;
    const bytes = this.encode(item);
    this.encoded.set(item, { state, bytes });
    return bytes;
  }
}
