// Scale of the file side (docs/performance.md): `migrate validate` and `migrate status` over N
// synthetic migration files on SQLite, once with nothing applied and once with every migration
// applied, next to `migrate --version` (the start-up every command pays). The goal (issue 9): at
// 10,000 files each command takes under 1 s beyond start-up. That figure still includes the
// database round trip (the history read, and validate's schema snapshot), so it is an upper bound.
// Wall times are medians; so are the CPU times (user + system), which a busy machine inflates less.
// Last, `validate` once more after `migrate hash`, as in a project that keeps a migrator.sum.
//
// The files: V<i>__m<i>.sql creating one table each, one in ten with "-- migrate:up" and
// "-- migrate:down" sections, and three repeatables. "All applied" is `migrate up --target 1` (so the
// metadata tables and the first history row are migrator's own), then one history row per other
// migration copied from that first row, with each file's id, description, kind, file and checksum
// as `migrate status --json` reports them: applying 100,000 migrations for real takes too long.
//
//   npm run build && node bench/scale.mjs [--n 10000,100000] [--runs 3]
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ENGINES, MIGRATE, formatMs, measureCpu, median, run, scratchDir, uniqueName } from './lib.mjs';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '10000,100000' },
    runs: { type: 'string', default: '3' },
  },
});

const GOAL_N = 10_000;
const GOAL_MS = 1000;
const COMMANDS = ['validate', 'status'];

/** N migration files (plus three repeatables) in `<dir>/migrations`. */
function generate(dir, n) {
  const migrations = path.join(dir, 'migrations');
  fs.mkdirSync(migrations);
  for (let i = 1; i <= n; i++) {
    const create = `CREATE TABLE t_${i} (id INT PRIMARY KEY, v VARCHAR(50));\n`;
    const text = i % 10 === 0 ? `-- migrate:up\n${create}\n-- migrate:down\nDROP TABLE t_${i};\n` : create;
    fs.writeFileSync(path.join(migrations, `V${i}__m${i}.sql`), text);
  }
  for (const name of ['a', 'b', 'c']) fs.writeFileSync(path.join(migrations, `R__view_${name}.sql`), `CREATE VIEW IF NOT EXISTS v_${name} AS SELECT 1 AS x;\n`);
  return migrations;
}

/**
 * Marks every migration applied: `migrate up --target 1` for real, then a history row per other
 * migration, copied from the first one. Throws when a command fails.
 */
function applyAll(project, db) {
  const migrate = (...args) => run(process.execPath, [MIGRATE, '--url', db.url, '--dir', 'migrations', ...args], { cwd: project });
  migrate('up', '--target', '1');
  const entries = JSON.parse(migrate('status', '--json')).migrations.filter((e) => e.state === 'pending');
  const Database = createRequire(import.meta.url)('better-sqlite3');
  const sqlite = new Database(db.file);
  try {
    const template = sqlite.prepare("SELECT * FROM migrator_history WHERE version = '1'").get();
    const columns = Object.keys(template);
    const insert = sqlite.prepare(`INSERT INTO migrator_history (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
    sqlite.transaction(() => {
      entries.forEach((e, index) => {
        const seq = 'seq' in template ? { seq: template.seq + index + 1 } : {};
        insert.run({ ...template, version: e.id, description: e.description, kind: e.kind, script: e.file, checksum: e.checksum, down_checksum: null, applied_hash: null, ...seq });
      });
    })();
  } finally {
    sqlite.close();
  }
  const after = JSON.parse(migrate('status', '--json'));
  if (after.pending !== 0 || !after.ok) throw new Error(`after filling the history, status reports ${after.pending} pending, ok=${after.ok}`);
}

/** Medians of wall and CPU time over `runs`, and the highest peak RSS. */
function timeCommand(args, runs, cwd) {
  const results = Array.from({ length: runs }, () => measureCpu(process.execPath, [MIGRATE, ...args], { cwd }));
  const cpu = results.flatMap((r) => (r.cpuMs === undefined ? [] : [r.cpuMs]));
  const rss = results.flatMap((r) => (r.rssMiB === undefined ? [] : [r.rssMiB]));
  return { ms: median(results.map((r) => r.ms)), cpuMs: cpu.length > 0 ? median(cpu) : undefined, rssMiB: rss.length > 0 ? Math.max(...rss) : undefined };
}

function bench(n, runs, startup) {
  const { dir, remove } = scratchDir(`scale-${n}`);
  const rows = [];
  try {
    generate(dir, n);
    const empty = ENGINES.sqlite.create(uniqueName('scale_empty'));
    const applied = ENGINES.sqlite.create(uniqueName('scale_applied'));
    try {
      applyAll(dir, applied);
      const time = (label, db, command) => {
        const result = timeCommand(['--url', db.url, '--dir', 'migrations', command], runs, dir);
        rows.push({ n, label, command, ...result, beyond: result.ms - startup.ms, cpuBeyond: result.cpuMs === undefined || startup.cpuMs === undefined ? undefined : result.cpuMs - startup.cpuMs });
      };
      for (const [label, db] of [['nothing applied', empty], ['all applied', applied]]) {
        for (const command of COMMANDS) time(label, db, command);
      }
      // A project that keeps a migrator.sum: validate also reads and hashes every file against it.
      run(process.execPath, [MIGRATE, '--dir', 'migrations', 'hash'], { cwd: dir });
      time('nothing applied, with migrator.sum', empty, 'validate');
    } finally {
      empty.drop();
      applied.drop();
    }
  } finally {
    remove();
  }
  return rows;
}

const runs = Number(values.runs);
const ns = values.n.split(',').map(Number);
const startup = timeCommand(['--version'], Math.max(runs, 5));
const ms = (value) => (value === undefined ? 'n/a' : formatMs(value));

console.log(`migrator scale benchmark: SQLite, ${runs} runs (medians), node ${process.version}, start-up (migrate --version) = ${formatMs(startup.ms)} wall, ${ms(startup.cpuMs)} CPU`);
console.log('');
console.log('| files | database | command | wall time | beyond start-up (incl. database) | CPU time | CPU beyond start-up | peak RSS |');
console.log('|---|---|---|---|---|---|---|---|');
const results = [];
for (const n of ns) {
  for (const r of bench(n, runs, startup)) {
    results.push(r);
    console.log(`| ${r.n.toLocaleString('en-US')} | ${r.label} | ${r.command} | ${formatMs(r.ms)} | ${formatMs(r.beyond)} | ${ms(r.cpuMs)} | ${ms(r.cpuBeyond)} | ${r.rssMiB === undefined ? 'n/a' : `${r.rssMiB.toFixed(0)} MiB`} |`);
  }
}
const goal = results.filter((r) => r.n === GOAL_N);
if (goal.length > 0) {
  const worst = goal.reduce((a, b) => (b.beyond > a.beyond ? b : a));
  const cpu = worst.cpuBeyond === undefined ? '' : ` (${formatMs(worst.cpuBeyond)} of CPU: a wall time far above it means the machine was busy)`;
  console.log('');
  console.log(`${GOAL_N.toLocaleString('en-US')} files: slowest is ${worst.command} (${worst.label}) at ${formatMs(worst.beyond)} beyond start-up${cpu}; goal < ${formatMs(GOAL_MS)}: ${worst.beyond < GOAL_MS ? 'met' : 'NOT met'}.`);
}
