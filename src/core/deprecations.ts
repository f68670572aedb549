/**
 * The registry of deprecated features (DEPRECATION.md) and the matching of a run's configuration,
 * options and migration files against it. Pure: the CLI collects what was used, prints each match
 * as a `warning[W_DEPRECATED]` line on stderr, and `validate --strict-deprecations` turns the
 * matches into E_DEPRECATED problems (exit 5).
 */
import type { Problem, SourceLocation } from './errors.js';

/** What kind of public interface a deprecation is about. */
export type DeprecationKind = 'config-key' | 'directive' | 'flag';

export interface Deprecation {
  readonly kind: DeprecationKind;
  /**
   * A config key path (`lock.strategy`; a block such as `lock` covers its keys too), a directive
   * name without its `-- migrate:` prefix (`timeout`), or a long option (`--lock-timeout`).
   */
  readonly name: string;
  /** For a flag of one command: the command's words (`up`, `audit verify`). Absent: any command. */
  readonly command?: string;
  /** The release that deprecated it (`0.2.0`). */
  readonly since: string;
  /** The earliest release that may remove it (`0.4.0`, `2.0.0`). */
  readonly removal: string;
  /** What to use instead, written as the user would write it. */
  readonly replacement: string;
}

/**
 * Everything deprecated in this release: nothing yet. An entry stays here from the release that
 * deprecates the feature until the major release that removes it (DEPRECATION.md, "How long it stays").
 */
export const DEPRECATIONS: ReadonlyArray<Deprecation> = Object.freeze([]);

/** What a run used, as the CLI saw it. */
export interface UsedFeatures {
  /** Config keys set by a layer other than the defaults, and that layer (`file migrator.config.yaml`). */
  readonly configKeys?: ReadonlyArray<{ readonly key: string; readonly from: string }>;
  /** Long options given on the command line, with the words of the command they were given to. */
  readonly flags?: ReadonlyArray<{ readonly flag: string; readonly command: string }>;
  /** Migration files as text, to find directives in (read only when the registry has directives). */
  readonly files?: ReadonlyArray<{ readonly file: string; readonly text: string }>;
}

/** One use of a deprecated feature. */
export interface DeprecationUse {
  readonly deprecation: Deprecation;
  /** How the user wrote it, for the message: `config key "lock.strategy"`, `option --foo of "up"`. */
  readonly what: string;
  /** Where: the config layer, or the file and line of a directive. */
  readonly where: string;
  readonly at?: SourceLocation;
}

const DIRECTIVE = /^\s*--\s*migrate:([A-Za-z][\w-]*)/;

/** True when some registry entry is a directive: only then are migration files worth reading for it. */
export function hasDirectiveDeprecations(registry: ReadonlyArray<Deprecation> = DEPRECATIONS): boolean {
  return registry.some((d) => d.kind === 'directive');
}

function configUses(used: UsedFeatures, deprecation: Deprecation): DeprecationUse[] {
  return (used.configKeys ?? [])
    .filter(({ key }) => key === deprecation.name || key.startsWith(`${deprecation.name}.`))
    .map(({ key, from }) => ({ deprecation, what: `config key "${key}"`, where: from }));
}

function flagUses(used: UsedFeatures, deprecation: Deprecation): DeprecationUse[] {
  return (used.flags ?? [])
    .filter(({ flag, command }) => flag === deprecation.name && (deprecation.command === undefined || deprecation.command === command))
    .map(({ flag, command }) => ({ deprecation, what: deprecation.command === undefined ? `option ${flag}` : `option ${flag} of "migrate ${command}"`, where: 'the command line' }));
}

function directiveUses(used: UsedFeatures, deprecation: Deprecation): DeprecationUse[] {
  return (used.files ?? []).flatMap(({ file, text }) => text.split('\n').flatMap((line, index) => {
    if (DIRECTIVE.exec(line)?.[1] !== deprecation.name) return [];
    const at = { file, line: index + 1 };
    return [{ deprecation, what: `directive "-- migrate:${deprecation.name}"`, where: `${file}:${index + 1}`, at }];
  }));
}

/**
 * The uses of deprecated features in `used`, in registry order then in the order they were found.
 * `registry` defaults to {@link DEPRECATIONS}; tests pass their own entries. Never throws.
 */
export function findDeprecations(used: UsedFeatures, registry: ReadonlyArray<Deprecation> = DEPRECATIONS): DeprecationUse[] {
  return registry.flatMap((deprecation) => {
    switch (deprecation.kind) {
      case 'config-key': return configUses(used, deprecation);
      case 'flag': return flagUses(used, deprecation);
      case 'directive': return directiveUses(used, deprecation);
    }
  });
}

/** The stderr line of one use, in the form DEPRECATION.md promises, then where it was found. */
export function deprecationWarning(use: DeprecationUse): string {
  const { removal, replacement } = use.deprecation;
  return `warning[W_DEPRECATED]: ${use.what} is deprecated and will be removed in ${removal}; use ${replacement}\n  at: ${use.where}\n`;
}

/** The use as a problem for `validate --strict-deprecations`: E_DEPRECATED, exit 5. */
export function deprecationProblem(use: DeprecationUse): Problem {
  const { since, removal, replacement } = use.deprecation;
  return {
    code: 'E_DEPRECATED',
    message: `${use.what} (${use.where}) is deprecated since ${since} and will be removed in ${removal}`,
    hint: `Use ${replacement} instead (DEPRECATION.md lists every deprecated feature), or run validate without --strict-deprecations to only warn.`,
    ...(use.at === undefined ? {} : { at: use.at }),
    details: { kind: use.deprecation.kind, name: use.deprecation.name, since, removal, replacement },
  };
}

/** `--json` form of a use (validate's `deprecations` field). */
export function deprecationJson(use: DeprecationUse): Record<string, string> {
  const { kind, name, since, removal, replacement } = use.deprecation;
  return { kind, name, what: use.what, where: use.where, since, removal, replacement };
}
