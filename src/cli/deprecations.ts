/**
 * The CLI side of deprecations: collects what a run used (config keys set by a layer, long options
 * on the command line, directives in the migration files), matches it against the registry of
 * core/deprecations.ts, and prints each use once as a `warning[W_DEPRECATED]` line on stderr (never
 * stdout, so `--json` stays valid). The exit code never changes, except under
 * `validate --strict-deprecations`, which reads the uses from here.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { deprecationWarning, findDeprecations, hasDirectiveDeprecations, DEPRECATIONS, type DeprecationUse } from '../core/deprecations.js';
import type { Migration } from '../core/model.js';
import type { LoadedConfig } from '../config/load.js';
import type { CliIO } from './io.js';

export interface DeprecationReporter {
  /** Uses found in the configuration and on the command line (known when the session starts). */
  readonly uses: ReadonlyArray<DeprecationUse>;
  /** Finds (and warns about) deprecated directives in these migrations' files. */
  files(migrations: ReadonlyArray<Migration>): Promise<ReadonlyArray<DeprecationUse>>;
}

/**
 * Long options on the command line, each with the command that ran (`audit verify`), as commander
 * parsed it. Without `command` (a caller outside a parsed command), the words that are not options
 * stand for it, approximately: a word after an option may be that option's value.
 */
export function argvFlags(argv: ReadonlyArray<string>, command?: string): Array<{ flag: string; command: string }> {
  const end = argv.indexOf('--');
  const args = end === -1 ? argv : argv.slice(0, end);
  const words = command ?? args.filter((arg, i) => !arg.startsWith('-') && !/^--[\w-]+$/.test(args[i - 1] ?? '')).join(' ');
  return args.filter((arg) => /^--[A-Za-z]/.test(arg)).map((arg) => ({ flag: arg.split('=')[0] ?? arg, command: words }));
}

/** Creates the reporter of one session and prints the warnings of the configuration and options. */
export function createDeprecationReporter(io: CliIO, argv: ReadonlyArray<string>, loaded: LoadedConfig, command?: string): DeprecationReporter {
  const registry = io.deprecations ?? DEPRECATIONS;
  const warned = new Set<string>();
  const warn = (uses: ReadonlyArray<DeprecationUse>): void => {
    for (const use of uses) {
      const line = deprecationWarning(use);
      if (!warned.has(line)) io.stderr(line);
      warned.add(line);
    }
  };
  const configKeys = [...loaded.origins].filter(([, from]) => from !== 'defaults').map(([key, from]) => ({ key: String(key), from }));
  const uses = findDeprecations({ configKeys, flags: argvFlags(argv, command) }, registry);
  warn(uses);
  return {
    uses,
    async files(migrations) {
      // Nothing to read while no directive is deprecated: the common case costs nothing.
      if (!hasDirectiveDeprecations(registry)) return [];
      const names = [...new Set(migrations.flatMap((m) => [m.up.file, m.down?.file, m.verify?.file]).filter((f): f is string => f !== undefined))];
      const files = await Promise.all(names.map(async (file) => ({ file, text: await readFile(path.resolve(io.cwd, file), 'utf8').catch(() => '') })));
      const found = findDeprecations({ files }, registry);
      warn(found);
      return found;
    },
  };
}
