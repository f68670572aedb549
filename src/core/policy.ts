/**
 * Who may run what, where. Pure: the CLI asks before it touches the database, and a denial is an
 * error with exit 9 (and an audit row). This is a guard rail against mistakes, not a security
 * boundary: the database's own grants are (docs/security.md).
 */
import { MigratorError } from './errors.js';

export type Role = 'reader' | 'deployer' | 'admin';
export type GuardedCommand = 'status' | 'validate' | 'rehearse' | 'verify' | 'doctor' | 'up' | 'down' | 'repair' | 'baseline' | 'import' | 'unlock' | 'audit';

/** The least role each command needs. A dry run only needs to read. */
const NEEDS: Record<GuardedCommand, Role> = {
  status: 'reader',
  validate: 'reader',
  // Runs the pending migrations' DDL on the target (in a transaction rolled back), or on a scratch database.
  rehearse: 'deployer',
  doctor: 'reader',
  verify: 'reader',
  audit: 'reader',
  up: 'deployer',
  down: 'admin',
  repair: 'admin',
  baseline: 'admin',
  // Writes history for migrations it never ran, like baseline.
  import: 'admin',
  unlock: 'admin',
};

/** Commands that change history by hand or go backwards: a protected environment wants `--confirm <env>`. */
const CONFIRMED: ReadonlySet<GuardedCommand> = new Set(['down', 'repair', 'baseline', 'import', 'unlock']);

const RANK: Record<Role, number> = { reader: 1, deployer: 2, admin: 3 };

export interface PolicyInput {
  readonly command: GuardedCommand;
  readonly dryRun: boolean;
  readonly actor: string;
  readonly environment: string;
  readonly protected: boolean;
  readonly rollback: 'enabled' | 'disabled';
  /** Actors per role; `undefined` when no roles are configured (then everyone may do everything). */
  readonly roles: { readonly [R in Role]?: ReadonlyArray<string> | undefined } | undefined;
  /** The value of `--confirm`, if given. */
  readonly confirm: string | undefined;
  /** The value of `--reason`, if given: a protected environment wants one for the confirmed commands. */
  readonly reason?: string | undefined;
}

function matches(pattern: string, actor: string): boolean {
  if (!pattern.includes('*')) return pattern === actor;
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return regex.test(actor);
}

/** The highest role listing `actor` (exactly, or by a `*` pattern), `undefined` when none does. */
export function roleOf(actor: string, roles: NonNullable<PolicyInput['roles']>): Role | undefined {
  return (['admin', 'deployer', 'reader'] as const).find((role) => (roles[role] ?? []).some((pattern) => matches(pattern, actor)));
}

/** Throws `E_NOT_PERMITTED` (exit 9) when the command may not run; the message says why and what would allow it. */
export function authorize(input: PolicyInput): void {
  const needed = input.dryRun ? 'reader' : NEEDS[input.command];
  if (input.roles !== undefined) {
    const role = roleOf(input.actor, input.roles);
    if (role === undefined || RANK[role] < RANK[needed]) {
      throw new MigratorError('E_NOT_PERMITTED', `${input.actor} may not run "${input.command}${input.dryRun ? ' --dry-run' : ''}" in ${input.environment}: it needs the ${needed} role, and ${input.actor} ${role ? `has ${role}` : 'has no role'}`, {
        hint: `Ask an admin to add ${input.actor} to roles.${needed} in the configuration (or run as an actor who has it, with --actor or MIGRATOR_ACTOR).`,
        details: { actor: input.actor, role: role ?? null, needed, command: input.command },
      });
    }
  }
  if (input.dryRun) return;
  if (input.command === 'down' && input.rollback === 'disabled') {
    throw new MigratorError('E_NOT_PERMITTED', `"down" is disabled in ${input.environment} (rollback: disabled)`, {
      hint: 'Roll forward instead: write a new migration that undoes the change. To allow rollbacks here, set rollback: enabled for this environment.',
      details: { command: input.command },
    });
  }
  if (input.protected && CONFIRMED.has(input.command) && input.confirm !== input.environment) {
    throw new MigratorError('E_NOT_PERMITTED', `${input.environment} is a protected environment: "${input.command}" needs --confirm ${input.environment}${input.confirm === undefined ? '' : ` (got --confirm ${input.confirm})`}`, {
      hint: `Check the plan first (${input.command === 'down' ? '"migrate down --dry-run"' : input.command === 'import' ? '"migrate import --dry-run"' : '"migrate status"'}), then repeat the command with --confirm ${input.environment}.`,
      details: { command: input.command },
    });
  }
  if (input.protected && CONFIRMED.has(input.command) && (input.reason === undefined || input.reason.trim() === '')) {
    throw new MigratorError('E_NOT_PERMITTED', `${input.environment} is a protected environment: "${input.command}" needs --reason "<why>" (recorded in the audit log)`, {
      hint: `Repeat the command with --reason "<ticket or incident, and why>" as well as --confirm ${input.environment}.`,
      details: { command: input.command },
    });
  }
}
