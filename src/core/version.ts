/**
 * Migration versions: digits with `.` or `_` separators, compared numerically part by part, so
 * `1.10` follows `1.9`, and `1`, `01` and `1.0` are the same version.
 */
import type { Version } from './model.js';

const VERSION_PATTERN = /^\d+(?:[._]\d+)*$/;

/** Parses a version as written in a file name; `undefined` when it is not one. */
export function parseVersion(raw: string): Version | undefined {
  if (!VERSION_PATTERN.test(raw)) return undefined;
  const parts = raw.split(/[._]/).map((part) => part.replace(/^0+(?=\d)/, ''));
  while (parts.length > 1 && parts[parts.length - 1] === '0') parts.pop();
  return { raw, canonical: parts.join('.'), parts };
}

function compareParts(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders two versions numerically part by part; missing parts count as 0. */
export function compareVersions(a: Version, b: Version): number {
  const length = Math.max(a.parts.length, b.parts.length);
  for (let i = 0; i < length; i++) {
    const order = compareParts(a.parts[i] ?? '0', b.parts[i] ?? '0');
    if (order !== 0) return order < 0 ? -1 : 1;
  }
  return 0;
}

/** Compares canonical version strings (as stored in history). Non-versions sort after versions. */
export function compareVersionIds(a: string, b: string): number {
  const va = parseVersion(a);
  const vb = parseVersion(b);
  if (va && vb) return compareVersions(va, vb);
  if (va) return -1;
  if (vb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Canonicalises a reference to a migration as users write it (`V3`, `3`, `1.02`, `R__views`):
 * versions become canonical, repeatable names stay as they are.
 */
export function canonicalRef(ref: string): string | undefined {
  if (ref.startsWith('R__') && ref.length > 3) return ref;
  const version = parseVersion(ref.replace(/^[Vv]/, ''));
  return version?.canonical;
}
