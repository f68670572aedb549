// Overhead of `migrate up` over the raw client doing the same work, and the no-op start-up time
// (docs/performance.md). For each engine, N and kind of migration, it generates N migrations,
// then per round applies them to a fresh database twice, interleaved: once with the raw client
// (psql / mariadb / sqlite3, one transaction per migration, one client process for all of them)
// and once with bin/migrate; the order alternates between rounds. It prints medians, the ratio, the
// overhead per migration, migrate's peak RSS, and a no-op `status` and `up` over the N applied
// migrations next to `node -e 0`.
//
//   npm run build && node bench/overhead.mjs [--engines postgres,mysql,sqlite] [--n 100,1000,10000] [--kinds ddl,dml] [--rounds 3]
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ENGINES, MIGRATE, availableEngines, formatMs, measure, median, scratchDir, uniqueName } from './lib.mjs';

const { values } = parseArgs({
  options: {
    engines: { type: 'string', default: 'postgres,mysql,sqlite' },
    n: { type: 'string', default: '100,1000,10000' },
    kinds: { type: 'string', default: 'ddl,dml' },
    rounds: { type: 'string', default: '3' },
    noop: { type: 'string', default: '7' },
  },
});

const KINDS = {
  // One small table per migration.
  ddl: { setup: '', sql: (i) => `CREATE TABLE t_${i} (id INT PRIMARY KEY, v VARCHAR(50));` },
  // One small row per migration, into a table the first migration creates.
  dml: { setup: 'CREATE TABLE bench_rows (id INT PRIMARY KEY, v VARCHAR(50));', sql: (i) => `INSERT INTO bench_rows (id, v) VALUES (${i}, 'row ${i}');` },
};

/** N migration files, plus the same SQL as one script for the raw client (a transaction each). */
function generate(dir, kind, n, engine) {
  const migrations = path.join(dir, 'migrations');
  fs.mkdirSync(migrations);
  const { setup, sql } = KINDS[kind];
  const raw = [];
  const statements = setup === '' ? [] : [setup];
  for (let i = 1; i <= n; i++) statements.push(sql(i));
  statements.forEach((statement, index) => {
    fs.writeFileSync(path.join(migrations, `V${index + 1}__m${index + 1}.sql`), `${statement}\n`);
    raw.push(ENGINES[engine].begin, statement, ENGINES[engine].commit);
  });
  const rawFile = path.join(dir, 'raw.sql');
  fs.writeFileSync(rawFile, `${raw.join('\n')}\n`);
  return { migrations, rawFile, count: statements.length };
}

function withDatabase(engine, work) {
  const db = ENGINES[engine].create(uniqueName(engine));
  try {
    return work(db);
  } finally {
    db.drop();
  }
}

function bench(engine, kind, n, rounds, noopRuns) {
  const { dir, remove } = scratchDir(`${engine}-${kind}-${n}`);
  try {
    const files = generate(dir, kind, n, engine);
    const migrateArgs = (db) => [MIGRATE, '--url', db.url, '--dir', files.migrations];
    const rawTimes = [];
    const migrateTimes = [];
    const rss = [];
    const noop = { status: [], up: [] };
    const once = {
      raw: () => withDatabase(engine, (db) => {
        const [command, args] = ENGINES[engine].raw(db, files.rawFile);
        rawTimes.push(measure(command, args).ms);
      }),
      migrate: () => withDatabase(engine, (db) => {
        const result = measure(process.execPath, [...migrateArgs(db), 'up']);
        migrateTimes.push(result.ms);
        if (result.rssMiB !== undefined) rss.push(result.rssMiB);
        // The no-op commands, over the N migrations just applied.
        if (noop.status.length === 0) {
          for (let i = 0; i < noopRuns; i++) {
            noop.status.push(measure(process.execPath, [...migrateArgs(db), 'status']).ms);
            noop.up.push(measure(process.execPath, [...migrateArgs(db), 'up']).ms);
          }
        }
      }),
    };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? ['raw', 'migrate'] : ['migrate', 'raw'];
      for (const step of order) once[step]();
    }
    return { engine, kind, n: files.count, raw: median(rawTimes), migrate: median(migrateTimes), rss: rss.length > 0 ? Math.max(...rss) : undefined, status: median(noop.status), up: median(noop.up) };
  } finally {
    remove();
  }
}

const engines = availableEngines(values.engines.split(','));
const ns = values.n.split(',').map(Number);
const kinds = values.kinds.split(',');
const rounds = Number(values.rounds);
const noopRuns = Number(values.noop);
const nodeBaseline = median(Array.from({ length: noopRuns }, () => measure(process.execPath, ['-e', '0']).ms));

console.log(`migrator overhead benchmark: ${rounds} rounds (medians), node ${process.version}, node -e 0 = ${formatMs(nodeBaseline)}`);
console.log('');
console.log('| engine | kind | N | raw client | migrate up | ratio | overhead / migration | peak RSS | no-op status | no-op up | status / node -e 0 |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const engine of engines) {
  for (const kind of kinds) {
    for (const n of ns) {
      const r = bench(engine, kind, n, rounds, noopRuns);
      const perMigration = (r.migrate - r.raw) / r.n;
      console.log(`| ${ENGINES[engine].label} | ${kind} | ${r.n} | ${formatMs(r.raw)} | ${formatMs(r.migrate)} | ${(r.migrate / r.raw).toFixed(2)} | ${perMigration.toFixed(2)} ms | ${r.rss === undefined ? 'n/a' : `${r.rss.toFixed(0)} MiB`} | ${formatMs(r.status)} | ${formatMs(r.up)} | ${(r.status / nodeBaseline).toFixed(1)}x |`);
    }
  }
}
