import { describe, expect, it } from 'vitest';
import { parseReference } from './reference.js';

const digest = `sha256:${'ab'.repeat(32)}`;

describe('parseReference', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['user/app', 'docker.io/user/app:latest'],
    ['registry.k8s.io/pause:3.10', 'registry.k8s.io/pause:3.10'],
    ['127.0.0.1:5000/team/app:v1', '127.0.0.1:5000/team/app:v1'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    [`busybox@${digest}`, `docker.io/library/busybox@${digest}`],
    [`127.0.0.1:5000/app:v1@${digest}`, `127.0.0.1:5000/app:v1@${digest}`],
    ['[::1]:5000/app', '[::1]:5000/app:latest'],
    ['a/b_c/d__e/f-g/h.i', 'docker.io/a/b_c/d__e/f-g/h.i:latest'],
  ])('normalises %s to %s', (input, want) => {
    expect(parseReference(input).toString()).toBe(want);
  });

  it('splits domain, path, tag and digest', () => {
    const r = parseReference(`127.0.0.1:5000/team/app:v1@${digest}`);
    expect(r).toMatchObject({ domain: '127.0.0.1:5000', path: 'team/app', tag: 'v1', digest });
    expect(r.name).toBe('127.0.0.1:5000/team/app');
    expect(r.manifestRef).toBe(digest);
    expect(r.taggedName).toBe('127.0.0.1:5000/team/app:v1');
    expect(parseReference(`app@${digest}`).taggedName).toBeUndefined();
  });

  it.each([
    ['', 'empty'],
    [' busybox', 'whitespace'],
    ['Busybox', 'lowercase'],
    ['docker.io/Library/busybox', 'lowercase'],
    ['busybox:', 'bad tag'],
    ['busybox:-x', 'bad tag'],
    ['busybox@sha256:1234', 'malformed digest'],
    ['busybox@md5:abcd', 'unsupported digest'],
    ['ab'.repeat(32), 'image id'],
    ['a//b', 'component'],
    ['a/-b', 'component'],
    ['bad_host:5000/app', 'registry host'],
    [`x/${'a'.repeat(260)}`, 'longer than'],
  ])('refuses %j as InvalidArgument (%s)', (input, why) => {
    expect(() => parseReference(input)).toThrow(expect.objectContaining({ code: 'InvalidArgument', message: expect.stringContaining(why) }));
  });
});
