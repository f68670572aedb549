import { describe, expect, it } from 'vitest';
import { testLeaseMs } from '../../src/config/test-lease.js';

describe('MIGRATOR_TEST_LEASE_MS', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['1500', 1500],
    ['100', 100],
    ['99', undefined],
    ['1.5', undefined],
    ['soon', undefined],
  ])('%j gives %j', (value, expected) => {
    expect(testLeaseMs({ MIGRATOR_TEST_LEASE_MS: value })).toBe(expected);
  });
});
