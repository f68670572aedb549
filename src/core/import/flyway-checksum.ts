/**
 * Flyway's checksum of a SQL script, so that an import can tell whether a repeatable changed since
 * Flyway last applied it. Flyway (ChecksumCalculator.calculateChecksumForResource) reads the file
 * with a BufferedReader and feeds `java.util.zip.CRC32` the UTF-8 bytes of each `readLine()`,
 * which drops the line terminators (`\n`, `\r`, `\r\n`), after removing a byte-order mark from the
 * first line; the result is cast to a signed 32-bit `int`, as stored in `flyway_schema_history`.
 * CRC-32 runs over a stream, so that is the CRC-32 of the text without its line breaks.
 */

const TABLE = ((): Uint32Array => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, as `java.util.zip.CRC32` and zlib compute it) of `bytes`, unsigned. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The checksum Flyway records for a script whose text (decoded as UTF-8, Flyway's default
 * encoding) is `text`: a signed 32-bit integer; 0 for an empty file.
 */
export function flywayChecksum(text: string): number {
  const unbommed = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return crc32(Buffer.from(unbommed.replace(/[\r\n]/g, ''), 'utf8')) | 0;
}
