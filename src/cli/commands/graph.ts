import type { Command } from 'commander';
import { Option } from 'commander';
import { ProblemsError } from '../../core/errors.js';
import type { Migration } from '../../core/model.js';
import { checkFiles } from '../../core/plan/index.js';
import type { Output } from '../io.js';
import type { CommandEnv } from '../program.js';

interface GraphOptions {
  readonly format: 'text' | 'dot';
}

/** A migration as `graph` shows it. */
function node(m: Migration, position: number) {
  return { position, id: m.id, kind: m.kind, description: m.description, file: m.file, depends: [...m.directives.depends] };
}

/** `text` inside a DOT double-quoted string: backslashes and quotes escaped. */
function escaped(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

function quoted(text: string): string {
  return `"${escaped(text)}"`;
}

/** Graphviz: one node per migration, an edge from each dependency to the migration that needs it. */
function dot(nodes: ReadonlyArray<ReturnType<typeof node>>, output: Output): void {
  output.line('digraph migrations {');
  output.line('  rankdir=LR;');
  output.line('  node [shape=box];');
  // `\n` in a DOT label is a line break.
  for (const n of nodes) output.line(`  ${quoted(n.id)} [label="${escaped(`${n.position}. ${n.id}`)}\\n${escaped(n.description)}"];`);
  for (const n of nodes) for (const dep of n.depends) output.line(`  ${quoted(dep)} -> ${quoted(n.id)};`);
  output.line('}');
}

function text(nodes: ReadonlyArray<ReturnType<typeof node>>, output: Output): void {
  const edges = nodes.reduce((sum, n) => sum + n.depends.length, 0);
  output.line(`${nodes.length} migration${nodes.length === 1 ? '' : 's'} in plan order, ${edges} "-- migrate:depends" edge${edges === 1 ? '' : 's'}; the rest follows version order:`);
  const idWidth = Math.max(2, ...nodes.map((n) => n.id.length));
  const numberWidth = String(nodes.length).length;
  for (const n of nodes) {
    const needs = n.depends.length > 0 ? `  <- ${n.depends.join(', ')}` : '';
    output.line(`  ${String(n.position).padStart(numberWidth)}  ${n.id.padEnd(idWidth)}  ${n.description}${needs}`);
  }
}

/**
 * `migrate graph`: the migrations in plan order with their `-- migrate:depends` edges, as text or
 * Graphviz DOT (`--json`: the same as data); reads files only. Duplicates, missing dependencies and
 * cycles are file problems (exit 5), reported as every command reports them.
 */
export function registerGraph(program: Command, env: CommandEnv): void {
  program
    .command('graph')
    .description('show the migrations in plan order with their dependencies (reads files only)')
    .addOption(new Option('--format <format>', 'text, or dot for Graphviz').choices(['text', 'dot']).default('text'))
    .action(async (options: GraphOptions, command: Command) => {
      const session = await env.session(command);
      const { migrations } = await session.loadMigrations();
      const { order, problems } = checkFiles(migrations);
      const nodes = order.map((m, index) => node(m, index + 1));
      session.output.document({ ok: problems.length === 0, migrations: nodes, problems: problems.map((p) => ({ code: p.code, message: p.message })) });
      if (options.format === 'dot') dot(nodes, session.output);
      else text(nodes, session.output);
      if (problems.length > 0) throw new ProblemsError(problems);
    });
}
