import { describe, expect, it } from 'vitest';
import { NewerRecordError, RECORD_SCHEMA_VERSION, containerRecordSchema, decodeRecord, encodeRecord, podRecordSchema } from './records.js';
import { testContainerRecord, testPodRecord } from './testing/index.js';

/** A record as criod wrote it before schema versions: no version, timestamps as {"$bigint": …}. */
function legacyText(record: object): string {
  return JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v));
}

describe('record encoding', () => {
  it('round-trips pod and container records with every optional field, timestamps exact', () => {
    const pod = testPodRecord();
    const ctr = testContainerRecord();
    expect(decodeRecord(podRecordSchema, encodeRecord(pod), 'p.json')).toEqual(pod);
    expect(decodeRecord(containerRecordSchema, encodeRecord(ctr), 'c.json')).toEqual(ctr);
    const stored = JSON.parse(encodeRecord(ctr)) as Record<string, unknown>;
    expect(stored.schemaVersion).toBe(RECORD_SCHEMA_VERSION);
    expect(stored.finishedAt).toBe('1764000000000000003');
  });

  it('keeps user maps shaped like the old bigint encoding as they are', () => {
    const pod = testPodRecord();
    pod.config.labels = { $bigint: 'x' };
    pod.config.annotations = { $bigint: '1' };
    pod.config.linux.sysctls = { $bigint: '{"$bigint":"1"}' };
    const ctr = testContainerRecord({ labels: { $bigint: '1' }, annotations: { $bigint: '{"$bigint":"x"}' } });
    expect(decodeRecord(podRecordSchema, encodeRecord(pod), 'p.json')).toEqual(pod);
    expect(decodeRecord(containerRecordSchema, encodeRecord(ctr), 'c.json')).toEqual(ctr);
  });

  it('reads records written before versions as version 1, $bigint-keyed user maps included', () => {
    const pod = testPodRecord();
    pod.config.labels = { $bigint: '1' };
    expect(decodeRecord(podRecordSchema, legacyText(pod), 'p.json')).toEqual(pod);
    const ctr = testContainerRecord();
    expect(decodeRecord(containerRecordSchema, legacyText(ctr), 'c.json')).toEqual(ctr);
  });

  it('refuses a newer schema version, naming the file and the version', () => {
    const text = JSON.stringify({ ...JSON.parse(encodeRecord(testPodRecord())), schemaVersion: RECORD_SCHEMA_VERSION + 1, renamed: true });
    const err = (() => {
      try {
        decodeRecord(podRecordSchema, text, '/r/pods/x.json');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(NewerRecordError);
    expect(err).toMatchObject({ code: 'FailedPrecondition', version: RECORD_SCHEMA_VERSION + 1, source: '/r/pods/x.json' });
    expect(String(err)).toContain(`/r/pods/x.json has schema version ${RECORD_SCHEMA_VERSION + 1}`);
  });

  it('says why a record is unreadable: not JSON, a wrong shape, a bad version', () => {
    const good = JSON.parse(encodeRecord(testPodRecord())) as Record<string, unknown>;
    expect(() => decodeRecord(podRecordSchema, '{"id": "x", ', 'p.json')).toThrow(/JSON/);
    expect(() => decodeRecord(podRecordSchema, JSON.stringify({ ...good, ips: 'not a list' }), 'p.json')).toThrow(/ips/);
    expect(() => decodeRecord(podRecordSchema, JSON.stringify({ ...good, createdAt: 'soon' }), 'p.json')).toThrow(/createdAt/);
    expect(() => decodeRecord(podRecordSchema, JSON.stringify({ ...good, schemaVersion: 'two' }), 'p.json')).toThrow(/schemaVersion/);
    expect(() => decodeRecord(podRecordSchema, 'null', 'p.json')).toThrow();
  });
});
