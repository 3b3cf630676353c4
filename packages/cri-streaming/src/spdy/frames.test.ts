import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SPDY3_DICTIONARY } from './dictionary.js';
import {
  dataFrameHeader,
  FLAG_FIN,
  FrameReader,
  goAwayFrame,
  pingFrame,
  rstStreamFrame,
  settingsFrame,
  SpdyProtocolError,
  synReplyFrame,
  synStreamFrame,
  windowUpdateFrame,
} from './frames.js';
import { decodeHeaderBlock, encodeHeaderBlock, HeaderCompression } from './headers.js';

describe('SPDY/3 dictionary', () => {
  it('is the 1423-byte spec dictionary whose Adler-32 (zlib DICTID) is e3c6a7c2', () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    expect(SPDY3_DICTIONARY.subarray(0, 11)).toEqual(Buffer.from('\0\0\0\x07options', 'latin1'));
    expect(SPDY3_DICTIONARY.subarray(-6).toString('latin1')).toBe('enq=0.');
    // A zlib stream with a preset dictionary carries its Adler-32 in bytes 2..5.
    const stream = zlib.deflateSync(Buffer.from('x'), { dictionary: SPDY3_DICTIONARY });
    expect(stream.subarray(2, 6).toString('hex')).toBe('e3c6a7c2');
  });
});

describe('SPDY/3 frames', () => {
  it('reads back every frame it writes, split at any byte', () => {
    const wire = Buffer.concat([
      synStreamFrame(1, FLAG_FIN, 3, Buffer.from('abc')),
      synReplyFrame(1, 0, Buffer.from('de')),
      dataFrameHeader(1, FLAG_FIN, 5),
      Buffer.from('hello'),
      rstStreamFrame(3, 5),
      settingsFrame([{ flags: 1, id: 7, value: 131072 }]),
      pingFrame(7),
      goAwayFrame(9, 1),
      windowUpdateFrame(0, 4096),
    ]);
    const reader = new FrameReader();
    const frames = [];
    for (const byte of wire) frames.push(...reader.push(Buffer.from([byte])));
    expect(frames).toEqual([
      { kind: 'syn_stream', streamId: 1, associatedId: 0, priority: 3, flags: FLAG_FIN, block: Buffer.from('abc') },
      { kind: 'syn_reply', streamId: 1, flags: 0, block: Buffer.from('de') },
      { kind: 'data', streamId: 1, flags: FLAG_FIN, data: Buffer.from('hello') },
      { kind: 'rst_stream', streamId: 3, status: 5 },
      { kind: 'settings', flags: 0, entries: [{ flags: 1, id: 7, value: 131072 }] },
      { kind: 'ping', id: 7 },
      { kind: 'goaway', lastGoodStreamId: 9, status: 1 },
      { kind: 'window_update', streamId: 0, delta: 4096 },
    ]);
  });

  it('lays out a data frame and a control frame as the spec says', () => {
    expect(Buffer.concat([dataFrameHeader(5, FLAG_FIN, 2)]).toString('hex')).toBe('0000000501000002');
    expect(pingFrame(1).toString('hex')).toBe('800300060000000400000001');
    expect(windowUpdateFrame(3, 65536).toString('hex')).toBe('80030009000000080000000300010000');
  });

  it('ignores control frames of unknown type and rejects other versions', () => {
    const unknown = Buffer.from('8003000a0000000400000000', 'hex'); // CREDENTIAL-like type 10
    expect(new FrameReader().push(unknown)).toEqual([{ kind: 'ignored', type: 10 }]);
    const spdy2 = Buffer.from('800200060000000400000001', 'hex');
    expect(() => new FrameReader().push(spdy2)).toThrow(SpdyProtocolError);
  });

  it('rejects control frames of the wrong size', () => {
    const shortPing = Buffer.from('80030006000000020001', 'hex');
    expect(() => new FrameReader().push(shortPing)).toThrow(/PING frame of 2 bytes/);
  });
});

describe('SPDY/3 header blocks', () => {
  it('encodes lower-case names and NUL-joined values, and decodes them back', () => {
    const block = encodeHeaderBlock({ streamType: 'stdout', Multi: ['a', 'b'] });
    expect(block.readUInt32BE(0)).toBe(2);
    const headers = decodeHeaderBlock(block);
    expect(headers.get('streamtype')).toEqual(['stdout']);
    expect(headers.get('multi')).toEqual(['a', 'b']);
  });

  it('rejects truncated blocks and absurd pair counts', () => {
    const block = encodeHeaderBlock({ port: '80' });
    expect(() => decodeHeaderBlock(block.subarray(0, block.length - 1))).toThrow(SpdyProtocolError);
    expect(() => decodeHeaderBlock(Buffer.from('ffffffff', 'hex'))).toThrow(/claims/);
  });

  it('keeps one zlib stream per direction across blocks, as peers expect', async () => {
    const sender = new HeaderCompression();
    const receiver = new HeaderCompression();
    try {
      const first = await sender.compress({ streamtype: 'error' });
      const second = await sender.compress({ streamtype: 'error' });
      // The second block refers back to the first: it is shorter and only inflates in sequence.
      expect(second.length).toBeLessThan(first.length);
      expect(first.subarray(2, 6).toString('hex')).toBe('e3c6a7c2');
      expect((await receiver.decompress(first)).get('streamtype')).toEqual(['error']);
      expect((await receiver.decompress(second)).get('streamtype')).toEqual(['error']);
    } finally {
      sender.close();
      receiver.close();
    }
  });

  it('reads blocks compressed the way Go compresses them (one zlib stream, sync flush)', async () => {
    const deflate = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY, level: zlib.constants.Z_BEST_COMPRESSION });
    const out: Buffer[] = [];
    deflate.on('data', (c: Buffer) => out.push(c));
    const blockOf = async (headers: Record<string, string>): Promise<Buffer> => {
      out.length = 0;
      deflate.write(encodeHeaderBlock(headers));
      await new Promise<void>((resolve) => deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
      return Buffer.concat(out);
    };
    const receiver = new HeaderCompression();
    try {
      for (const port of ['8080', '9090', '8080']) {
        const headers = await receiver.decompress(await blockOf({ streamtype: 'data', port, requestid: '0' }));
        expect(headers.get('port')).toEqual([port]);
      }
    } finally {
      deflate.destroy();
      receiver.close();
    }
  });

  it('refuses a header block that inflates past the cap', async () => {
    const bomb = zlib.deflateSync(Buffer.alloc(1024 * 1024), { dictionary: SPDY3_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const receiver = new HeaderCompression();
    try {
      await expect(receiver.decompress(bomb)).rejects.toThrow(/inflates past/);
    } finally {
      receiver.close();
    }
  });
});
