import { describe, expect, it } from 'vitest';
import { Container, ContainerState, ListContainersResponse } from '../gen/runtime/v1/api.js';
import { EncodedItems } from './encoded-items.js';

interface Item {
  id: string;
  state: ContainerState;
  /** Sized so that some items' lengths take a two- or three-byte varint. */
  labels: Record<string, string>;
}

const toCri = (item: Item): Container =>
  Container.fromPartial({ id: item.id, podSandboxId: 'pod', metadata: { name: item.id, attempt: 0 }, state: item.state, labels: item.labels });

function items(): Item[] {
  return [
    { id: 'small', state: ContainerState.CONTAINER_RUNNING, labels: {} },
    { id: 'medium', state: ContainerState.CONTAINER_RUNNING, labels: { a: 'x'.repeat(200) } },
    { id: 'large', state: ContainerState.CONTAINER_EXITED, labels: { b: 'y'.repeat(20_000) } },
  ];
}

describe('EncodedItems', () => {
  it('answers the bytes the generated encoder writes for the same list, empty or not', () => {
    const list = items();
    const encoded = new EncodedItems(
      (i: Item) => Container.encode(toCri(i)).finish(),
      (i) => i.state,
    );
    const bytes = encoded.message<ListContainersResponse>(1, list);
    expect(Buffer.from(bytes)).toEqual(Buffer.from(ListContainersResponse.encode({ containers: list.map(toCri) }).finish()));
    expect(ListContainersResponse.decode(bytes).containers.map((c) => c.id)).toEqual(['small', 'medium', 'large']);
    expect(encoded.message<ListContainersResponse>(1, []).length).toBe(0);
  });

  it('re-encodes an item only when its state changed', () => {
    const list = items();
    let encodings = 0;
    const encoded = new EncodedItems(
      (i: Item) => {
        encodings++;
        return Container.encode(toCri(i)).finish();
      },
      (i) => i.state,
    );
    encoded.message(1, list);
    encoded.message(1, list);
    expect(encodings).toBe(3);
    list[0]!.state = ContainerState.CONTAINER_EXITED;
    const bytes = encoded.message<ListContainersResponse>(1, list);
    expect(encodings).toBe(4);
    expect(ListContainersResponse.decode(bytes).containers[0]?.state).toBe(ContainerState.CONTAINER_EXITED);
  });

  it('answers the same reply while nothing changed, and a new one when an item changes, comes or goes', () => {
    const list = items();
    const encoded = new EncodedItems(
      (i: Item) => Container.encode(toCri(i)).finish(),
      (i) => i.state,
    );
    const ids = (bytes: Uint8Array) => ListContainersResponse.decode(bytes).containers.map((c) => `${c.id}:${c.state}`);
    const first = encoded.message(1, list);
    expect(encoded.message(1, list)).toBe(first);
    list[1]!.state = ContainerState.CONTAINER_EXITED;
    const changed = encoded.message(1, list);
    expect(changed).not.toBe(first);
    expect(ids(changed)).toEqual(['small:1', 'medium:2', 'large:2']);
    expect(ids(encoded.message(1, list.slice(1)))).toEqual(['medium:2', 'large:2']);
    expect(ids(encoded.message(1, [...list, { id: 'new', state: ContainerState.CONTAINER_CREATED, labels: {} }]))).toEqual([
      'small:1',
      'medium:2',
      'large:2',
      'new:0',
    ]);
    expect(ids(encoded.message(1, list))).toEqual(['small:1', 'medium:2', 'large:2']);
  });
});
