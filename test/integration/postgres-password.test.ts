/**
 * Which password the PostgreSQL driver really sends. The servers here use trust authentication,
 * which accepts anything and would hide a lost password, so this test talks to a stand-in server:
 * it asks for a cleartext password (protocol 3), records it, and refuses the login.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/drivers/postgres/driver.js';

interface StandIn {
  readonly port: number;
  /** Passwords received, in order. */
  readonly received: string[];
  close(): Promise<void>;
}

function errorResponse(message: string): Buffer {
  const fields = Buffer.concat([Buffer.from('SFATAL\0C28P01\0M'), Buffer.from(`${message}\0`), Buffer.from('\0')]);
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}

async function standIn(): Promise<StandIn> {
  const received: string[] = [];
  const server = net.createServer((socket) => {
    let buffered = Buffer.alloc(0);
    let started = false;
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!started && buffered.length >= 4 && buffered.length >= buffered.readInt32BE(0)) {
        buffered = buffered.subarray(buffered.readInt32BE(0));
        started = true;
        // AuthenticationCleartextPassword: 'R', length 8, code 3.
        socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
      }
      if (started && buffered.length >= 5 && buffered[0] === 0x70 && buffered.length >= 1 + buffered.readInt32BE(1)) {
        const length = buffered.readInt32BE(1);
        received.push(buffered.subarray(5, 1 + length - 1).toString('utf8'));
        buffered = buffered.subarray(1 + length);
        socket.end(errorResponse('password authentication failed (stand-in server)'));
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { port, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const base = { readOnly: true, lockStrategy: 'advisory' as const, ddlLockTimeoutMs: 5_000, statementTimeoutMs: undefined, applicationName: 'migrator test' };

describe('PostgreSQL driver: the password it sends', () => {
  let server: StandIn | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each([
    { name: 'the configured password when the URL has none', user: 'app', password: 'from-config-Zq9', expected: 'from-config-Zq9' },
    { name: 'the configured password over the URL\'s', user: 'app:from-url-Zq9', password: 'from-config-Zq9', expected: 'from-config-Zq9' },
    { name: 'the URL\'s password when none is configured', user: 'app:from-url-Zq9', password: undefined, expected: 'from-url-Zq9' },
  ])('sends $name', async ({ user, password, expected }) => {
    server = await standIn();
    const attempt = openPostgres({ ...base, url: `postgres://${user}@127.0.0.1:${server.port}/db`, password });
    await expect(attempt).rejects.toMatchObject({ code: 'E_CONNECT' });
    expect(server.received).toEqual([expected]);
    // The refusal names the server, never the password it was given.
    await expect(attempt).rejects.not.toMatchObject({ message: expect.stringContaining(expected) });
  });
});

describe('PostgreSQL driver: .pgpass', () => {
  let server: StandIn | undefined;
  let dir: string | undefined;
  const saved = process.env['PGPASSFILE'];
  afterEach(async () => {
    await server?.close();
    server = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (saved === undefined) delete process.env['PGPASSFILE'];
    else process.env['PGPASSFILE'] = saved;
  });

  it('sends the matching .pgpass line when neither the configuration nor the URL gives a password', async () => {
    server = await standIn();
    dir = mkdtempSync(path.join(os.tmpdir(), 'migrator-pgpass-'));
    const file = path.join(dir, 'pgpass');
    writeFileSync(file, `127.0.0.1:${server.port}:db:app:from-pgpass-Zq9\n`, { mode: 0o600 });
    process.env['PGPASSFILE'] = file;
    await expect(openPostgres({ ...base, url: `postgres://app@127.0.0.1:${server.port}/db`, password: undefined })).rejects.toMatchObject({ code: 'E_CONNECT' });
    expect(server.received).toEqual(['from-pgpass-Zq9']);
  });
});
