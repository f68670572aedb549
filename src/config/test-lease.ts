/**
 * The test-only lease length: `MIGRATOR_TEST_LEASE_MS=<milliseconds>` shortens the lease of
 * `lock.strategy: table` on PostgreSQL and MySQL (60 s otherwise), so end-to-end tests can show in
 * seconds what happens past an expiry. Unset in production; nothing else reads it, and like every
 * `MIGRATOR_TEST_` variable it is no configuration key.
 */

/** The lease length the switch asks for; `undefined` when unset or not an integer of at least 100. */
export function testLeaseMs(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const raw = env['MIGRATOR_TEST_LEASE_MS'];
  if (!raw) return undefined;
  const ms = Number(raw);
  return Number.isInteger(ms) && ms >= 100 ? ms : undefined;
}
