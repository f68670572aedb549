import { describe, expect, it } from 'vitest';
import { doctorChecks, doctorError, formatBytes, preflightError, unreachable, type CheckStatus, type DoctorCheck, type DoctorInput } from '../../src/core/doctor.js';
import { MigratorError } from '../../src/core/errors.js';
import type { PrivilegeCheck, StorageFacts } from '../../src/core/ports.js';

const GiB = 1024 ** 3;
const read = (ok: boolean | undefined): PrivilegeCheck => ({ privilege: 'SELECT on app.migrator_history', neededFor: 'read', ok, detail: ok ? 'granted' : 'missing SELECT' });
const write = (ok: boolean | undefined): PrivilegeCheck => ({ privilege: 'CREATE on schema app', neededFor: 'migrate', ok, detail: ok ? 'granted' : 'missing CREATE', fix: 'GRANT CREATE ON SCHEMA app TO u' });
const disk = (freeBytes: number | undefined, totalBytes: number | undefined = 100 * GiB): StorageFacts =>
  ({ databaseBytes: 8 * 1024 ** 2, path: '/var/lib/db', freeBytes, totalBytes, unknownReason: freeBytes === undefined ? 'the server runs on another machine' : undefined });

const base: DoctorInput = {
  command: 'up',
  label: 'PostgreSQL u@db:5432/app',
  diagnosis: { server: 'PostgreSQL 15.4', user: 'u', privileges: [read(true), write(true)], storage: disk(50 * GiB) },
  metadata: { format: 1 },
  supportedFormat: 1,
  lock: { strategy: 'advisory', resource: 'advisory lock 42', state: 'free' },
  migrations: { pending: ['2', '3'], problems: 0 },
};

const heldLease = (expired: boolean, process: 'alive' | 'gone' | 'unknown'): DoctorInput['lock'] => ({
  strategy: 'lease', resource: 'migrator_lock row 1', state: 'held', releasable: true,
  holder: { owner: 'run-7', user: 'alice', host: 'ci-7', pid: 42 },
  lease: { runId: 'run-7', generation: '3', heartbeatAt: undefined, expiresAt: undefined, expired, process },
});

/** `name:status` of every check, `privilege(subject):status` for privileges. */
const statuses = (checks: ReadonlyArray<DoctorCheck>) => checks.map((c) => `${c.name}${c.subject ? `(${c.subject})` : ''}:${c.status}`);
const find = (checks: ReadonlyArray<DoctorCheck>, name: string): DoctorCheck => checks.find((c) => c.name === name) ?? expect.fail(`no ${name} check`);

describe('doctorChecks', () => {
  it('lists every check in order, all ok on a healthy database', () => {
    expect(statuses(doctorChecks(base))).toEqual([
      'connection:ok', 'server:ok', 'privilege(SELECT on app.migrator_history):ok', 'privilege(CREATE on schema app):ok',
      'metadata:ok', 'disk:ok', 'lock:ok', 'pending:ok',
    ]);
    expect(find(doctorChecks(base), 'pending').detail).toBe('2 pending: 2, 3');
  });

  it.each<[string, Partial<DoctorInput>, string, CheckStatus, string | undefined, string]>([
    ['a missing migrate privilege fails "up"', { diagnosis: { ...base.diagnosis, privileges: [read(true), write(false)] } }, 'privilege', 'fail', 'E_PRIVILEGE', 'missing CREATE'],
    ['a missing read privilege fails "status"', { command: 'status', diagnosis: { ...base.diagnosis, privileges: [read(false), write(false)] } }, 'privilege', 'fail', 'E_PRIVILEGE', 'missing SELECT'],
    ['a privilege the engine cannot judge is unknown', { diagnosis: { ...base.diagnosis, privileges: [read(true), write(undefined)] } }, 'privilege', 'unknown', undefined, 'CREATE'],
    ['no metadata yet is fine', { metadata: { format: undefined } }, 'metadata', 'ok', undefined, 'no metadata tables yet'],
    ['an older format is upgraded by the next run', { metadata: { format: 0 } }, 'metadata', 'ok', undefined, 'upgrades it to 1'],
    ['a newer format fails', { metadata: { format: 99 } }, 'metadata', 'fail', 'E_METADATA_VERSION', 'format 99, newer than the 1'],
    ['an unreadable metadata table fails with its error', { metadata: { error: new MigratorError('E_PRIVILEGE', 'permission denied for table migrator_meta') } }, 'metadata', 'fail', 'E_PRIVILEGE', 'permission denied'],
    ['less than 1 GiB free warns', { diagnosis: { ...base.diagnosis, storage: disk(512 * 1024 ** 2, 2000 * GiB) } }, 'disk', 'warn', undefined, '512 MiB free'],
    ['less than 5% free warns', { diagnosis: { ...base.diagnosis, storage: disk(4 * GiB) } }, 'disk', 'warn', undefined, 'below 1 GiB or 5% free'],
    ['exactly 5% and more than 1 GiB is ok', { diagnosis: { ...base.diagnosis, storage: disk(5 * GiB) } }, 'disk', 'ok', undefined, '5 GiB free of 100 GiB (5.0%) at /var/lib/db; database 8 MiB'],
    ['unknown free space is unknown, with the database size', { diagnosis: { ...base.diagnosis, storage: disk(undefined) } }, 'disk', 'unknown', undefined, 'free space unknown: the server runs on another machine; database 8 MiB'],
    ['a lock held by another run warns, naming it', { lock: heldLease(false, 'alive') }, 'lock', 'warn', undefined, 'held by user alice, host ci-7, pid 42, run run-7'],
    ['an advisory lock held by a session warns', { lock: { strategy: 'advisory', resource: 'key 42', state: 'held', releasable: false, reason: 'session lock', holder: { pid: 9 }, session: { id: 9, terminate: 'SELECT pg_terminate_backend(9)' } } }, 'lock', 'warn', undefined, 'held by pid 9'],
    ['an expired lease is free for the next run', { lock: heldLease(true, 'unknown') }, 'lock', 'ok', undefined, 'lease has expired'],
    ['a lease whose process is gone is free for the next run', { lock: heldLease(false, 'gone') }, 'lock', 'ok', undefined, 'process is gone'],
    ['an unreadable lock is unknown', { lock: { error: 'permission denied for table migrator_lock' } }, 'lock', 'unknown', undefined, 'permission denied'],
    ['nothing pending is ok', { migrations: { pending: [], problems: 0 } }, 'pending', 'ok', undefined, 'none: the database is up to date'],
    ['problems between files and history warn', { migrations: { pending: ['4'], problems: 2 } }, 'pending', 'warn', undefined, '1 pending: 4; 2 problems'],
    ['an unreadable history makes the count unknown', { migrations: undefined }, 'pending', 'unknown', undefined, 'cannot count'],
  ])('%s', (_name, change, name, status, code, detail) => {
    const checks = doctorChecks({ ...base, ...change });
    const check = checks.filter((c) => c.name === name).find((c) => c.status !== 'ok') ?? find(checks, name);
    expect(check.status).toBe(status);
    expect(check.code).toBe(code);
    expect(`${check.subject ?? ''} ${check.detail}`).toContain(detail);
    if (status !== 'ok') expect(check.hint ?? (status === 'unknown' ? '' : undefined)).toBeDefined();
  });

  it('checks only the read privileges for status and validate, both kinds for writing commands', () => {
    const privileges = [read(true), write(false)];
    for (const command of ['status', 'validate'] as const) {
      expect(doctorChecks({ ...base, command, diagnosis: { ...base.diagnosis, privileges } }).filter((c) => c.name === 'privilege')).toHaveLength(1);
    }
    for (const command of ['up', 'down', 'repair', 'baseline'] as const) {
      expect(doctorChecks({ ...base, command, diagnosis: { ...base.diagnosis, privileges } }).filter((c) => c.status === 'fail')).toHaveLength(1);
    }
  });

  it('gives a failed privilege the grant that fixes it as its hint', () => {
    const failed = doctorChecks({ ...base, diagnosis: { ...base.diagnosis, privileges: [write(false)] } }).find((c) => c.status === 'fail');
    expect(failed?.hint).toContain('GRANT CREATE ON SCHEMA app TO u');
  });
});

describe('doctorError and preflightError', () => {
  const failing = (...change: Array<Partial<DoctorInput>>) => doctorChecks(Object.assign({}, base, ...change) as DoctorInput);
  const noPrivilege = { diagnosis: { ...base.diagnosis, privileges: [read(true), write(false)] } };

  it.each<[string, ReadonlyArray<DoctorCheck>, string | undefined, RegExp | undefined]>([
    ['no failure: no error (warnings and unknowns never fail)', failing({ lock: heldLease(false, 'alive'), migrations: undefined }), undefined, undefined],
    ['a missing privilege is E_PRIVILEGE naming it', failing(noPrivilege), 'E_PRIVILEGE', /^1 pre-flight check failed for "up" on PostgreSQL u@db:5432\/app: privilege CREATE on schema app$/],
    ['a newer metadata format outranks a missing privilege', failing(noPrivilege, { metadata: { format: 2 } }), 'E_METADATA_VERSION', /2 pre-flight checks failed .*: metadata \(format 2, .*\); privilege CREATE on schema app/],
    ['no connection outranks everything', [unreachable(new MigratorError('E_CONNECT', 'cannot connect')), ...failing(noPrivilege)], 'E_CONNECT', /connection \(cannot connect\)/],
  ])('%s', (_name, checks, code, message) => {
    const error = doctorError(checks, 'up', base.label);
    expect(error?.code).toBe(code);
    if (message) expect(error?.message).toMatch(message);
  });

  it('the automatic pre-flight refuses with the worst check\'s own code, as an unprotected run would fail', () => {
    const error = preflightError(failing(noPrivilege, { metadata: { format: 2 } }), 'up', 'prod');
    expect(error).toMatchObject({ code: 'E_METADATA_VERSION', category: 'stateMismatch', details: { codes: ['E_METADATA_VERSION', 'E_PRIVILEGE'] } });
    expect(preflightError(failing(noPrivilege), 'up', 'prod')).toMatchObject({ code: 'E_PRIVILEGE', category: 'notPermitted' });
    expect(error?.message).toMatch(/^"up" refused in the protected environment prod: 2 pre-flight checks failed/);
    expect(error?.hint).toContain('migrate doctor --env prod --for up');
    expect(preflightError(failing({ lock: heldLease(false, 'alive') }), 'up', 'prod')).toBeUndefined();
  });
});

describe('formatBytes', () => {
  it.each([[0, '0 B'], [900, '900 B'], [1536, '1.5 KiB'], [312 * 1024 ** 2, '312 MiB'], [1.25 * GiB, '1.3 GiB'], [5 * 1024 ** 4, '5 TiB'], [GiB, '1 GiB']])('%d -> %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
