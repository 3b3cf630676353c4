import { describe, expect, it } from 'vitest';
import { encodeHeaderBlock, HpackDecoder, HpackError, type HeaderField } from './hpack.js';
import { huffmanDecode, HuffmanError } from './huffman.js';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');
const plain = (fields: HeaderField[]) => fields.map(({ name, value }) => [name, value]);

describe('HPACK', () => {
  it('decodes RFC 7541 C.4: three requests sharing a dynamic table, Huffman-coded', () => {
    const decoder = new HpackDecoder();
    expect(plain(decoder.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff')))).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
    ]);
    expect(plain(decoder.decode(hex('8286 84be 5886 a8eb 1064 9cbf')))).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
      ['cache-control', 'no-cache'],
    ]);
    expect(plain(decoder.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf')))).toEqual([
      [':method', 'GET'],
      [':scheme', 'https'],
      [':path', '/index.html'],
      [':authority', 'www.example.com'],
      ['custom-key', 'custom-value'],
    ]);
  });

  it('evicts the oldest entries when a size update shrinks the table', () => {
    const decoder = new HpackDecoder();
    decoder.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'));
    // Size update to 0 empties the table: index 62 is gone.
    expect(() => decoder.decode(hex('20 be'))).toThrow(HpackError);
    expect(() => decoder.decode(hex('3fe2 1f'))).toThrow(/exceeds 4096/);
  });

  it('refuses truncated blocks, unknown indexes and size updates after a field', () => {
    expect(() => new HpackDecoder().decode(hex('41 8c f1e3'))).toThrow(/ends inside a string/);
    expect(() => new HpackDecoder().decode(hex('80'))).toThrow(/index 0/);
    expect(() => new HpackDecoder().decode(hex('ff 80 80 80 80 80 01'))).toThrow(/too large/);
    expect(() => new HpackDecoder().decode(hex('82 20'))).toThrow(/after a header field/);
  });

  it('decodes Huffman strings and refuses bad padding', () => {
    expect(huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff')).toString()).toBe('www.example.com');
    expect(huffmanDecode(hex('6402')).toString()).toBe('302');
    // Padding of zero bits, and more than seven bits of padding, are both errors.
    expect(() => huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f400'))).toThrow(HuffmanError);
    expect(() => huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff ff'))).toThrow(HuffmanError);
  });

  it('encodes blocks that any decoder reads back without indexing anything', () => {
    const fields: HeaderField[] = [
      { name: ':method', value: 'POST', sensitive: false },
      { name: ':authority', value: 'localhost', sensitive: false },
      { name: 'content-type', value: 'application/grpc', sensitive: false },
      { name: 'authorization', value: 'secret', sensitive: true },
      { name: 'x-long', value: 'v'.repeat(300), sensitive: false },
      { name: 'bytes', value: '\u00ff\u0080', sensitive: false },
    ];
    const decoder = new HpackDecoder();
    expect(decoder.decode(encodeHeaderBlock(fields))).toEqual(fields);
    // Nothing was added to the decoder's table: the first dynamic index still does not exist.
    expect(() => decoder.decode(hex('be'))).toThrow(/index 62/);
  });
});
