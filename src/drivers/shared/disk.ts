/**
 * Free space where a database lives, for `Driver.diagnose`: statfs of a directory this process can
 * see. A server's data directory counts only when the server runs on this machine; the drivers
 * decide that, this module only measures.
 */
import { promises as fs } from 'node:fs';
import type { StorageFacts } from '../../core/ports.js';

/**
 * Storage facts for `dir`: free and total bytes of its file system. When `dir` cannot be measured
 * (missing, not a directory, not searchable), the facts say so in `unknownReason`.
 */
export async function measure(dir: string, databaseBytes: number | undefined): Promise<StorageFacts> {
  try {
    const stat = await fs.stat(dir);
    if (!stat.isDirectory()) return unknown(databaseBytes, `${dir} is not a directory here`);
    const fsStats = await fs.statfs(dir);
    // bavail, not bfree: blocks reserved for root are no use to a server running as its own user.
    return { databaseBytes, path: dir, freeBytes: fsStats.bavail * fsStats.bsize, totalBytes: fsStats.blocks * fsStats.bsize };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist on this machine' : code === 'EACCES' ? 'is not accessible to this user' : `cannot be measured (${code ?? String(error)})`;
    return unknown(databaseBytes, `${dir} ${why}`);
  }
}

/** Storage facts without free space, and why. */
export function unknown(databaseBytes: number | undefined, reason: string): StorageFacts {
  return { databaseBytes, path: undefined, freeBytes: undefined, totalBytes: undefined, unknownReason: reason };
}

/** Whether a client address as a server reports it (`127.0.0.1:5123`, `::1`, `localhost`) is this machine's loopback. */
export function isLoopback(address: string | null | undefined): boolean {
  if (address === null || address === undefined) return false;
  return /^(?:localhost|127\.\d+\.\d+\.\d+|::1|\[::1\]|::ffff:127\.\d+\.\d+\.\d+)(?::\d+)?$/i.test(address);
}

/** A number of bytes from a driver's result (bigint and numeric text included), `undefined` otherwise. */
export function bytes(value: unknown): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}
