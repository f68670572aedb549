/**
 * Guard rails as an operator meets them: roles, protected environments, rollback: disabled, and
 * baseline. A denial exits 9, changes nothing, and leaves an audit row.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { EXIT, Project, appliedVersions, audit, dbState } from './helpers.js';

const CONFIG = `roles:
  admin: [alice]
  deployer: ["github:*"]
  reader: ["*"]
environments:
  prod:
    protected: true
  frozen:
    rollback: disabled
`;

function project(onTestFinished: (fn: () => void) => void): Project {
  const p = new Project({ onTestFinished });
  p.write('V1__a.sql', '-- migrate:up\nCREATE TABLE a (x INTEGER);\n-- migrate:down\nDROP TABLE a;\n');
  p.write('V2__b.sql', '-- migrate:up\nCREATE TABLE b (x INTEGER);\n-- migrate:down\nDROP TABLE b;\n');
  writeFileSync(path.join(p.dir, 'migrator.config.yaml'), CONFIG);
  return p;
}

describe.concurrent('roles and protected environments', () => {
  it('a reader is refused "up" (exit 9): nothing applied, one access.denied audit row', async ({ expect, onTestFinished }) => {
    const p = project(onTestFinished);
    expect((await p.run(['up', '--actor', 'alice'])).code).toBe(EXIT.ok);
    p.write('V3__c.sql', 'CREATE TABLE c (x INTEGER);\n');
    const before = dbState(p.dbPath);
    const denied = await p.run(['up', '--actor', 'bob']);
    expect(denied.code).toBe(EXIT.notPermitted);
    expect(denied.stderr).toMatch(/^error\[E_NOT_PERMITTED\]: bob may not run "up" in default: it needs the deployer role, and bob has reader/m);
    const after = dbState(p.dbPath);
    expect(after.schema).toEqual(before.schema);
    expect(after.history).toEqual(before.history);
    expect(after.audit.slice(before.audit.length).map((row) => `${row.event} ${row.outcome}`)).toEqual(['access.denied failure']);
  });

  it('the CI identity is the actor: GITHUB_ACTOR matches "github:*" (deployer)', async ({ expect, onTestFinished }) => {
    const p = project(onTestFinished);
    const result = await p.run(['up'], { env: { GITHUB_ACTOR: 'octocat', GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/shop', GITHUB_RUN_ID: '42' } });
    expect(result.code, result.stderr).toBe(EXIT.ok);
    p.withDb((db) => {
      expect(db.prepare('SELECT DISTINCT actor FROM migrator_audit').pluck().all()).toEqual(['github:octocat']);
      // Every row names the CI job that ran it.
      const details = db.prepare('SELECT detail FROM migrator_audit').pluck().all() as string[];
      for (const detail of details) expect(JSON.parse(detail)).toMatchObject({ ciJob: 'https://github.com/acme/shop/actions/runs/42' });
    });
  });

  it('a protected environment needs --confirm <env> for down; dry runs and the right name pass', async ({ expect, onTestFinished }) => {
    const p = project(onTestFinished);
    expect((await p.run(['up', '--env', 'prod', '--actor', 'alice'])).code).toBe(EXIT.ok);
    for (const args of [['down'], ['down', '--confirm', 'staging']]) {
      const denied = await p.run([...args, '--env', 'prod', '--actor', 'alice']);
      expect(denied.code, args.join(' ')).toBe(EXIT.notPermitted);
      expect(denied.stderr).toContain('prod is a protected environment: "down" needs --confirm prod');
    }
    expect((await p.run(['down', '--dry-run', '--env', 'prod', '--actor', 'alice'])).code).toBe(EXIT.ok);
    p.withDb((db) => expect(appliedVersions(db)).toEqual(['1', '2']));
    const unexplained = await p.run(['down', '--confirm', 'prod', '--env', 'prod', '--actor', 'alice']);
    expect(unexplained.code).toBe(EXIT.notPermitted);
    expect(unexplained.stderr).toContain('"down" needs --reason "<why>"');
    const confirmed = await p.run(['down', '--confirm', 'prod', '--reason', 'INC-7 bad index', '--env', 'prod', '--actor', 'alice']);
    expect(confirmed.code, confirmed.stderr).toBe(EXIT.ok);
    p.withDb((db) => {
      expect(appliedVersions(db)).toEqual(['1']);
      expect(audit(db).filter((row) => row.event === 'access.denied')).toHaveLength(3);
      const last = db.prepare('SELECT run_id FROM migrator_audit ORDER BY id DESC LIMIT 1').pluck().get();
      const details = db.prepare('SELECT event, detail FROM migrator_audit WHERE run_id = ? ORDER BY id').all(last) as Array<{ event: string; detail: string }>;
      expect(details.map((row) => row.event)).toEqual(['run.started', 'migration.reverted', 'run.finished']);
      for (const row of details) expect(JSON.parse(row.detail)).toMatchObject({ reason: 'INC-7 bad index' });
    });
  });

  it('rollback: disabled refuses down outright, even for an admin with --confirm', async ({ expect, onTestFinished }) => {
    const p = project(onTestFinished);
    expect((await p.run(['up', '--env', 'frozen', '--actor', 'alice'])).code).toBe(EXIT.ok);
    const denied = await p.run(['down', '--env', 'frozen', '--actor', 'alice', '--confirm', 'frozen']);
    expect(denied.code).toBe(EXIT.notPermitted);
    expect(denied.stderr).toContain('"down" is disabled in frozen (rollback: disabled)');
    p.withDb((db) => expect(appliedVersions(db)).toEqual(['1', '2']));
  });

  it('a denial on a database without metadata creates nothing, not even the file', async ({ expect, onTestFinished }) => {
    const p = project(onTestFinished);
    const denied = await p.run(['up', '--actor', 'bob']);
    expect(denied.code).toBe(EXIT.notPermitted);
    expect(p.dbExists()).toBe(false);
  });
});

describe.concurrent('baseline', () => {
  it('adopts a database: versions up to V count as applied, later ones run; a second baseline is refused', async ({ expect, onTestFinished }) => {
    const p = new Project({ onTestFinished });
    p.write('V1__a.sql', 'CREATE TABLE a (x INTEGER);\n');
    p.write('V2__b.sql', 'CREATE TABLE b (x INTEGER);\n');
    const baseline = await p.run(['baseline', '--version', '1']);
    expect(baseline.code, baseline.stderr).toBe(EXIT.ok);
    const up = await p.run(['up']);
    expect(up.code, up.stderr).toBe(EXIT.ok);
    p.withDb((db) => {
      expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('a', 'b')").pluck().all()).toEqual(['b']);
      expect(audit(db).map((row) => row.event)).toEqual(['baseline', 'run.started', 'migration.applied', 'run.finished']);
    });
    const again = await p.run(['baseline', '--version', '2']);
    expect(again.code).toBe(EXIT.stateDisagrees);
    expect(again.stderr).toMatch(/^error\[E_BASELINE_REFUSED\]/m);
  });
});
