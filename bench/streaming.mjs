// One large data migration (bench/large-file.mjs: multi-row INSERTs, and on PostgreSQL a COPY ...
// FROM stdin block), applied by the raw client and by `migrate up` on fresh databases, interleaved
// (docs/performance.md). migrate streams a file this size: it prints each side's time and
// throughput, the ratio of throughputs (the goal: at least 0.8) and migrate's peak RSS (the goal:
// at most 150 MB).
//
//   npm run build && node bench/streaming.mjs [--engines postgres,mysql,sqlite] [--size-mb 1024] [--rounds 1]
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ENGINES, MIGRATE, availableEngines, formatMs, measure, median, scratchDir, uniqueName } from './lib.mjs';
import { writeLargeMigration } from './large-file.mjs';

const { values } = parseArgs({
  options: {
    engines: { type: 'string', default: 'postgres,mysql,sqlite' },
    'size-mb': { type: 'string', default: '1024' },
    rounds: { type: 'string', default: '1' },
  },
});

const MiB = 1024 * 1024;

function withDatabase(engine, work) {
  const db = ENGINES[engine].create(uniqueName(`${engine}_stream`));
  try {
    return work(db);
  } finally {
    db.drop();
  }
}

async function bench(engine, sizeBytes, rounds) {
  const { dir, remove } = scratchDir(`stream-${engine}`);
  try {
    const migrations = path.join(dir, 'migrations');
    fs.mkdirSync(migrations);
    process.stderr.write(`${engine}: writing ${Math.round(sizeBytes / MiB)} MiB ...\n`);
    const file = await writeLargeMigration({ engine, file: path.join(migrations, 'V1__large_data.sql'), rawFile: path.join(dir, 'raw.sql'), sizeBytes });
    const raw = [];
    const migrate = [];
    const rss = [];
    const once = {
      raw: () => withDatabase(engine, (db) => {
        const [command, args] = ENGINES[engine].raw(db, file.rawFile);
        raw.push(measure(command, args).ms);
      }),
      migrate: () => withDatabase(engine, (db) => {
        const result = measure(process.execPath, [MIGRATE, '--url', db.url, '--dir', migrations, '--log-level', 'warn', 'up']);
        migrate.push(result.ms);
        if (result.rssMiB !== undefined) rss.push(result.rssMiB);
      }),
    };
    for (let round = 0; round < rounds; round++) {
      for (const side of round % 2 === 0 ? ['raw', 'migrate'] : ['migrate', 'raw']) {
        process.stderr.write(`${engine}: round ${round + 1}, ${side} ...\n`);
        once[side]();
      }
    }
    return { engine, file, raw: median(raw), migrate: median(migrate), rss: rss.length > 0 ? Math.max(...rss) : undefined };
  } finally {
    remove();
  }
}

const engines = availableEngines(values.engines.split(','));
const sizeBytes = Number(values['size-mb']) * MiB;
const rounds = Number(values.rounds);
const results = [];
for (const engine of engines) results.push(await bench(engine, sizeBytes, rounds));

const mbps = (ms) => `${(sizeBytes / MiB / (ms / 1000)).toFixed(1)} MiB/s`;
console.log(`migrator streaming benchmark: ${Math.round(sizeBytes / MiB)} MiB file, ${rounds} round(s) (medians), node ${process.version}`);
console.log('');
console.log('| engine | statements | rows | raw client | migrate up | raw throughput | migrate throughput | throughput ratio | migrate peak RSS |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${ENGINES[r.engine].label} | ${r.file.statements} | ${r.file.rows} | ${formatMs(r.raw)} | ${formatMs(r.migrate)} | ${mbps(r.raw)} | ${mbps(r.migrate)} | ${(r.raw / r.migrate).toFixed(2)} | ${r.rss === undefined ? 'n/a' : `${r.rss.toFixed(0)} MiB`} |`);
}
