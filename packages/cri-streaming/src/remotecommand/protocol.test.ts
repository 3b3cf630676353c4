import { describe, expect, it } from 'vitest';
import { TerminalSizeDecoder } from './resize.js';
import { commandStatus, encodeStatus } from './status.js';

describe('TerminalSizeDecoder', () => {
  it('reads Go json.Encoder output, whole or cut anywhere', () => {
    const wire = Buffer.from('{"Width":80,"Height":24}\n{"Width":132,"Height":43}\n');
    const whole = new TerminalSizeDecoder().push(wire);
    expect(whole).toEqual([
      { width: 80, height: 24 },
      { width: 132, height: 43 },
    ]);
    const decoder = new TerminalSizeDecoder();
    const sizes = [...wire].flatMap((byte) => decoder.push(Buffer.from([byte])));
    expect(sizes).toEqual(whole);
  });

  it('matches keys case-insensitively, as Go does, and ignores other fields', () => {
    expect(new TerminalSizeDecoder().push(Buffer.from('{"width":10,"height":5,"x":"}"}'))).toEqual([{ width: 10, height: 5 }]);
  });

  it('stops at malformed input', () => {
    const decoder = new TerminalSizeDecoder();
    expect(() => decoder.push(Buffer.from('{"Width":-1,"Height":2}'))).toThrow(/bad width/);
    expect(decoder.push(Buffer.from('{"Width":1,"Height":2}'))).toEqual([]);
    expect(() => new TerminalSizeDecoder().push(Buffer.from('[1,2]'))).toThrow(/not a JSON object/);
  });
});

describe('exit status', () => {
  it('encodes a non-zero exit as kubelet does for v4 clients', () => {
    const status = commandStatus({ kind: 'exited', exitCode: 2 }, true);
    expect(JSON.parse(encodeStatus(status, true).toString())).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: exit status 2',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '2' }] },
    });
    expect(encodeStatus(status, false).toString()).toBe('command terminated with non-zero exit code: exit status 2');
  });

  it('says Success for exit 0 (JSON) and nothing at all to old clients', () => {
    const status = commandStatus({ kind: 'exited', exitCode: 0 }, true);
    expect(encodeStatus(status, true).toString()).toBe('{"metadata":{},"status":"Success"}');
    expect(encodeStatus(status, false).length).toBe(0);
  });

  it('says Success for an attach whatever the exit code, and InternalError for failures', () => {
    expect(commandStatus({ kind: 'exited', exitCode: 9 }, false).status).toBe('Success');
    expect(commandStatus({ kind: 'failed', message: 'boom' }, true)).toMatchObject({
      status: 'Failure',
      reason: 'InternalError',
      code: 500,
      message: 'Internal error occurred: boom',
    });
  });
});
