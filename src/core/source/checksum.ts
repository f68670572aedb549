/**
 * Checksums of migration text: `sha256v1:` + sha256 over the UTF-8 text with a leading BOM stripped
 * and CRLF/CR normalised to LF, so a checkout on Windows and one on Linux agree. The `v1` tag lets a
 * future algorithm coexist with rows recorded by this one.
 */
import { createHash } from 'node:crypto';

export const CHECKSUM_PREFIX = 'sha256v1:';

/** Strips a leading BOM and turns CRLF and lone CR into LF. */
export function normaliseText(text: string): string {
  const unbommed = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return unbommed.includes('\r') ? unbommed.replace(/\r\n?/g, '\n') : unbommed;
}

/** Checksum of already-normalised text. */
export function checksumOf(normalised: string): string {
  return CHECKSUM_PREFIX + createHash('sha256').update(normalised, 'utf8').digest('hex');
}
