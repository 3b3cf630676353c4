import { describe, expect, it } from 'vitest';
import { parseMountinfo, readMountinfo, topMountAt, unescapeMountField } from './mountinfo.js';

const sample = [
  '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
  '43 27 254:0 /run/netns /run/netns rw,relatime shared:1 - ext4 /dev/vda rw',
  '46 43 0:4 net:[4026532247] /run/netns/criod-a rw shared:4 - nsfs nsfs rw',
  '47 46 0:4 net:[4026532300] /run/netns/criod-a rw shared:5 master:2 - nsfs nsfs rw',
  '48 27 0:30 / /mnt/with\\040space rw - tmpfs tmpfs rw',
  '',
].join('\n');

describe('mountinfo', () => {
  it('parses fields, optional fields and escapes', () => {
    const m = parseMountinfo(sample);
    expect(m).toHaveLength(5);
    expect(m[2]).toEqual({
      id: 46,
      parentId: 43,
      device: '0:4',
      root: 'net:[4026532247]',
      mountPoint: '/run/netns/criod-a',
      options: 'rw',
      optional: ['shared:4'],
      fstype: 'nsfs',
      source: 'nsfs',
      superOptions: 'rw',
    });
    expect(m[3]?.optional).toEqual(['shared:5', 'master:2']);
    expect(m[0]?.optional).toEqual([]);
    expect(m[4]?.mountPoint).toBe('/mnt/with space');
    expect(unescapeMountField('a\\011b\\134c\\012')).toBe('a\tb\\c\n');
  });

  it('finds the topmost of stacked mounts', () => {
    const m = parseMountinfo(sample);
    expect(topMountAt(m, '/run/netns/criod-a')?.id).toBe(47);
    expect(topMountAt(m, '/run/netns')?.id).toBe(43);
    expect(topMountAt(m, '/nope')).toBeUndefined();
  });

  it('reads the live table', async () => {
    const m = await readMountinfo();
    expect(m.some((e) => e.mountPoint === '/')).toBe(true);
  });
});
