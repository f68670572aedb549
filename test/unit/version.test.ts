import { describe, expect, it } from 'vitest';
import { canonicalRef, compareVersionIds, compareVersions, parseVersion } from '../../src/core/version.js';

describe('parseVersion', () => {
  it.each([
    ['1', '1'],
    ['01', '1'],
    ['1.0', '1'],
    ['1_0_0', '1'],
    ['1.2', '1.2'],
    ['1.02', '1.2'],
    ['2026_11_21_0930', '2026.11.21.930'],
    ['20261121093015', '20261121093015'],
    ['0', '0'],
    ['0.0', '0'],
  ])('%s canonicalises to %s', (raw, canonical) => {
    expect(parseVersion(raw)?.canonical).toBe(canonical);
  });

  it.each(['', 'a', '1.', '.1', '1..2', '1-2', 'V1', '1.2a'])('rejects %j', (raw) => {
    expect(parseVersion(raw)).toBeUndefined();
  });
});

describe('compareVersions: numeric part by part', () => {
  const v = (raw: string) => {
    const parsed = parseVersion(raw);
    if (!parsed) throw new Error(raw);
    return parsed;
  };
  it.each([
    ['1.9', '1.10', -1],
    ['1.10', '1.9', 1],
    ['2', '10', -1],
    ['1', '1.0.0', 0],
    ['1.0.1', '1', 1],
    ['99999999999999999999', '100000000000000000000', -1],
  ])('%s vs %s = %i', (a, b, expected) => {
    expect(compareVersions(v(a), v(b))).toBe(expected);
  });

  it('sorts R__ names after versions', () => {
    expect(['R__b', '10', 'R__a', '9'].sort(compareVersionIds)).toEqual(['9', '10', 'R__a', 'R__b']);
  });
});

describe('canonicalRef', () => {
  it.each([
    ['V3', '3'],
    ['v01.2', '1.2'],
    ['3', '3'],
    ['R__views', 'R__views'],
    ['R__', undefined],
    ['x', undefined],
  ])('%s -> %s', (ref, expected) => {
    expect(canonicalRef(ref)).toBe(expected);
  });
});
