import type { SecretRegistry } from '../config/redact.js';
import type { Deprecation } from '../core/deprecations.js';

/**
 * Everything the CLI takes from the process, passed in by `bin.ts`, so the whole CLI runs in tests
 * against plain objects and nothing below `main.ts` touches `process`.
 */
export interface CliIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stderrIsTTY: boolean;
  /** Width of the terminal stderr writes to, when it is one. */
  readonly stderrColumns?: number | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly pid: number;
  /** Aborted on the first SIGINT/SIGTERM; its reason is the signal name. */
  readonly signal: AbortSignal;
  /** Every secret known so far; stdout and stderr above are already scrubbed with it. */
  readonly secrets: SecretRegistry;
  /** The registry of deprecated features; `bin.ts` leaves it unset (core's DEPRECATIONS), tests pass entries. */
  readonly deprecations?: ReadonlyArray<Deprecation> | undefined;
}

/** How a command ended, for the work that runs after it (metrics files, pushes, trace export). */
export interface CommandOutcome {
  readonly exitCode: number;
  /** The error that ended it, `undefined` on success. */
  readonly error: unknown;
}

/**
 * Work registered while a command runs and done once it has ended, whatever the outcome, before the
 * process exits (main.ts runs it). A finisher that fails is reported on stderr, never changes the
 * exit code.
 */
export interface Lifecycle {
  onFinish(finisher: (outcome: CommandOutcome) => Promise<void>): void;
}

/** Where a command's results go: streamed lines for people, or one JSON document for machines. */
export interface Output {
  readonly json: boolean;
  /** A line of human output (dropped in JSON mode). */
  line(text?: string): void;
  /** The command's JSON document (printed once, only in JSON mode). */
  document(value: unknown): void;
}

export function createOutput(io: CliIO, json: boolean): Output {
  return {
    json,
    line(text = '') {
      if (!json) io.stdout(`${text}\n`);
    },
    document(value) {
      if (json) io.stdout(`${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
    },
  };
}
