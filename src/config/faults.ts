/**
 * The test-only crash switch: `MIGRATOR_TEST_FAULT=<point>[:<n>]` kills the process with SIGKILL
 * at the n-th time (default first) a run reaches that boundary. Crash tests use it to prove every
 * state a dying process can leave is recoverable. Unset in production; nothing else reads it.
 */
const POINTS = ['lock.acquired', 'statement.before', 'statement.after', 'commit.before', 'commit.after'] as const;

export type FaultSpec = { readonly point: (typeof POINTS)[number]; readonly occurrence: number };

/** Parses the switch from the environment; `undefined` when unset or malformed. */
export function faultSpec(env: Readonly<Record<string, string | undefined>>): FaultSpec | undefined {
  const raw = env['MIGRATOR_TEST_FAULT'];
  if (!raw) return undefined;
  const [point, count = '1'] = raw.split(':');
  const occurrence = Number(count);
  const known = POINTS.find((p) => p === point);
  return known && Number.isInteger(occurrence) && occurrence >= 1 ? { point: known, occurrence } : undefined;
}
