import type { Command } from 'commander';
import { describeConfig } from '../../config/describe.js';
import type { CommandEnv } from '../program.js';

/** `migrate config`: the effective configuration and where each value came from; secrets redacted. */
export function registerConfig(program: Command, env: CommandEnv): void {
  program
    .command('config')
    .description('show the effective configuration and the layer each value came from (secrets redacted)')
    .action(async (_options: unknown, command: Command) => {
      const session = await env.session(command);
      const { loaded } = session;
      const entries = describeConfig(loaded);
      session.output.document({
        ok: true,
        environment: session.config.environment,
        file: loaded.file ?? null,
        dotenv: loaded.dotenvFile ?? null,
        values: Object.fromEntries(entries.map((e) => [e.key, { value: e.value ?? null, from: e.from ?? null }])),
      });
      session.output.line(`Environment: ${session.config.environment}`);
      session.output.line(`Config file: ${loaded.file ?? '(none)'}`);
      session.output.line(`.env file:   ${loaded.dotenvFile ?? '(none)'}`);
      session.output.line();
      const rows = [['KEY', 'VALUE', 'FROM'], ...entries.map((e) => [e.key, e.value ?? '(not set)', e.from ?? ''])];
      const widths = [0, 1].map((column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
      for (const row of rows) session.output.line(`${(row[0] ?? '').padEnd(widths[0] ?? 0)}  ${(row[1] ?? '').padEnd(widths[1] ?? 0)}  ${row[2] ?? ''}`.trimEnd());
    });
}
