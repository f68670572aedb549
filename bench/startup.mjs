// Start-up time of a no-op command (docs/performance.md#start-up): for each engine, N migrations
// are applied once to a fresh database, then `migrate status` and `migrate up` (nothing to do) run
// again and again, interleaved with `node -e 0` (Node.js's own start-up) and `migrate --version`
// (loading the CLI, nothing else), so that a busy machine slows them all alike. It prints the
// medians and each one's ratio to `node -e 0`; the goal is <= 2x for status and up at N = 1000.
//
//   npm run build && node bench/startup.mjs [--engines postgres,mysql,sqlite] [--n 1000] [--runs 9]
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ENGINES, MIGRATE, availableEngines, formatMs, measure, median, scratchDir, uniqueName } from './lib.mjs';

const { values } = parseArgs({
  options: {
    engines: { type: 'string', default: 'postgres,mysql,sqlite' },
    n: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '9' },
  },
});

function generate(dir, n) {
  const migrations = path.join(dir, 'migrations');
  fs.mkdirSync(migrations);
  for (let i = 1; i <= n; i++) fs.writeFileSync(path.join(migrations, `V${i}__m${i}.sql`), `CREATE TABLE t_${i} (id INT);\n`);
  return migrations;
}

function bench(engine, n, runs) {
  const { dir, remove } = scratchDir(`startup-${engine}-${n}`);
  const db = ENGINES[engine].create(uniqueName(`startup_${engine}`));
  try {
    const migrations = generate(dir, n);
    const migrate = (...args) => [process.execPath, [MIGRATE, '--url', db.url, '--dir', migrations, ...args]];
    measure(...migrate('up'));
    const commands = {
      'node -e 0': [process.execPath, ['-e', '0']],
      'migrate --version': [process.execPath, [MIGRATE, '--version']],
      'migrate status': migrate('status'),
      'migrate up': migrate('up'),
    };
    const times = Object.fromEntries(Object.keys(commands).map((label) => [label, []]));
    // Interleaved, so that load from elsewhere on the machine falls on every command alike.
    for (let round = 0; round < runs; round++) {
      for (const [label, [command, args]] of Object.entries(commands)) times[label].push(measure(command, args, { cwd: dir }).ms);
    }
    const base = median(times['node -e 0']);
    console.log(`\n${ENGINES[engine].label}, ${n} applied migrations, median of ${runs} runs`);
    for (const [label, samples] of Object.entries(times)) {
      const ms = median(samples);
      console.log(`  ${label.padEnd(18)} ${formatMs(ms).padStart(8)}  ${(ms / base).toFixed(2)}x node -e 0`);
    }
  } finally {
    db.drop();
    remove();
  }
}

const runs = Number(values.runs);
for (const engine of availableEngines(values.engines.split(','))) {
  for (const n of values.n.split(',').map(Number)) bench(engine, n, runs);
}
