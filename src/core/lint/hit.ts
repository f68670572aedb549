import type { LintRuleName } from './rules.js';

/** What a statement rule reports, before the linter adds the migration, place, risk and hint. */
export interface Hit {
  readonly rule: LintRuleName;
  /** What this statement does, with the names it touches. */
  readonly message: string;
  /** Replaces the rule's hint when this statement needs a more precise one. */
  readonly hint?: string;
  /**
   * The table concerned, as `NameRef.key`. A table created earlier in the same script has no rows
   * and no running code yet, so findings about it are dropped.
   */
  readonly table?: string;
}
