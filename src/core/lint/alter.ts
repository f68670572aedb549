/**
 * Rules over the actions of one `ALTER TABLE` (the comma-separated clauses after the table name):
 * drop-column, column-type-change, rename, not-null-without-default, constraint-without-not-valid.
 */
import type { SqlSyntax } from '../source/syntax.js';
import type { Hit } from './hit.js';
import type { LintRuleName } from './rules.js';
import { findWords, isWord, nameAt, skipWords, splitTopLevel, wordsAt, type NameRef, type SqlToken } from './tokens.js';

/** Words after DROP / ADD that name something other than a column. */
const DROP_NOT_COLUMN = ['CONSTRAINT', 'INDEX', 'KEY', 'PRIMARY', 'FOREIGN', 'CHECK', 'UNIQUE', 'PARTITION', 'DEFAULT', 'NOT', 'EXPRESSION', 'IDENTITY', 'PERIOD', 'SYSTEM', 'FULLTEXT', 'SPATIAL'];
const ADD_NOT_COLUMN = ['PRIMARY', 'UNIQUE', 'INDEX', 'KEY', 'FULLTEXT', 'SPATIAL', 'PARTITION', 'PERIOD', 'EXCLUDE', 'SYSTEM'];
/** Column definitions that fill existing rows by themselves, so NOT NULL is satisfied. */
const FILLS_ROWS = ['DEFAULT', 'GENERATED', 'AS', 'IDENTITY', 'AUTO_INCREMENT', 'AUTOINCREMENT'];
const SERIAL_TYPES = ['SERIAL', 'BIGSERIAL', 'SMALLSERIAL', 'SERIAL2', 'SERIAL4', 'SERIAL8'];

interface Action {
  readonly tokens: ReadonlyArray<SqlToken>;
  readonly table: NameRef;
  readonly syntax: SqlSyntax;
}

/** Findings for the actions of `ALTER TABLE <table> <actions>`; `actions` are the tokens after the name. */
export function alterTableHits(actions: ReadonlyArray<SqlToken>, table: NameRef, syntax: SqlSyntax): Hit[] {
  return splitTopLevel(actions).flatMap((tokens) => actionHits({ tokens, table, syntax }));
}

function actionHits(action: Action): Hit[] {
  const head = action.tokens[0];
  if (isWord(head, 'DROP')) return dropColumn(action);
  if (isWord(head, 'ALTER')) return alterColumnType(action);
  if (isWord(head, 'MODIFY', 'CHANGE')) return redefineColumn(action);
  if (isWord(head, 'RENAME')) return renameHits(action);
  if (isWord(head, 'ADD')) return addHits(action);
  return [];
}

function hit(action: Action, rule: LintRuleName, message: string): Hit {
  return { rule, message, table: action.table.key };
}

function dropColumn(action: Action): Hit[] {
  const { tokens, table } = action;
  if (!isWord(tokens[1], 'COLUMN') && isWord(tokens[1], ...DROP_NOT_COLUMN)) return [];
  const column = nameAt(tokens, skipWords(tokens, 1, ['COLUMN'], ['IF', 'EXISTS']));
  if (!column) return [];
  return [hit(action, 'drop-column', `drops column ${column.display} of ${table.display}: its data is gone, and code still reading or writing it fails`)];
}

/** PostgreSQL: `ALTER [COLUMN] c [SET DATA] TYPE t`. */
function alterColumnType(action: Action): Hit[] {
  const { tokens, table } = action;
  if (!isWord(tokens[1], 'COLUMN') && isWord(tokens[1], 'CONSTRAINT', 'INDEX', 'CHECK')) return [];
  const column = nameAt(tokens, skipWords(tokens, 1, ['COLUMN']));
  if (!column || !(isWord(tokens[column.next], 'TYPE') || wordsAt(tokens, column.next, 'SET', 'DATA', 'TYPE'))) return [];
  return [hit(action, 'column-type-change', `changes the type of column ${column.display} of ${table.display}: the table may be rewritten under an exclusive lock, and code expecting the old type breaks`)];
}

/** MySQL: `MODIFY [COLUMN] c <definition>` and `CHANGE [COLUMN] old new <definition>`. */
function redefineColumn(action: Action): Hit[] {
  const { tokens, table } = action;
  const column = nameAt(tokens, skipWords(tokens, 1, ['COLUMN']));
  if (!column) return [];
  const verb = tokens[0]?.upper ?? '';
  const hits = [hit(action, 'column-type-change', `${verb} redefines column ${column.display} of ${table.display}: a type change copies the table, and code expecting the old type breaks`)];
  const target = verb === 'CHANGE' ? nameAt(tokens, column.next) : undefined;
  if (target && target.key !== column.key) {
    hits.push(renamed(action, 'column', column, target));
  }
  return hits;
}

/**
 * `RENAME [TO|AS] t` (table), `RENAME COLUMN a TO b`, and PostgreSQL/SQLite `RENAME a TO b`
 * (column). `RENAME CONSTRAINT|INDEX|KEY` changes nothing code reads.
 */
function renameHits(action: Action): Hit[] {
  const { tokens } = action;
  if (isWord(tokens[1], 'CONSTRAINT', 'INDEX', 'KEY')) return [];
  if (isWord(tokens[1], 'TO', 'AS')) return [renamed(action, 'table', undefined, nameAt(tokens, 2))];
  const column = nameAt(tokens, skipWords(tokens, 1, ['COLUMN']));
  if (isWord(tokens[1], 'COLUMN') || (column && isWord(tokens[column.next], 'TO'))) {
    return [renamed(action, 'column', column, column && isWord(tokens[column.next], 'TO') ? nameAt(tokens, column.next + 1) : undefined)];
  }
  // MySQL: `RENAME new_name`, TO being optional.
  return [renamed(action, 'table', undefined, column)];
}

function renamed(action: Action, what: 'table' | 'column', column: NameRef | undefined, target: NameRef | undefined): Hit {
  const subject = what === 'table' ? `table ${action.table.display}` : `column ${column?.display ?? '?'} of ${action.table.display}`;
  return hit(action, 'rename', `renames ${subject}${target ? ` to ${target.display}` : ''}: running code using the old name breaks`);
}

function addHits(action: Action): Hit[] {
  const { tokens } = action;
  if (isWord(tokens[1], 'CONSTRAINT')) {
    // MySQL allows `ADD CONSTRAINT FOREIGN KEY ...` without a constraint name.
    const unnamed = wordsAt(tokens, 2, 'FOREIGN', 'KEY') || (isWord(tokens[2], 'CHECK') && tokens[3]?.text === '(');
    const name = unnamed ? undefined : nameAt(tokens, 2);
    return constraintHits(action, name ? name.next : 2, name);
  }
  if (isWord(tokens[1], 'FOREIGN', 'CHECK')) return constraintHits(action, 1, undefined);
  if (isWord(tokens[1], ...ADD_NOT_COLUMN)) return [];
  const start = skipWords(tokens, 1, ['COLUMN'], ['IF', 'NOT', 'EXISTS']);
  // MySQL's `ADD (a int, b int)` form is left alone.
  const column = tokens[start]?.text === '(' ? undefined : nameAt(tokens, start);
  return column ? notNullHits(action, column) : [];
}

function constraintHits(action: Action, kindAt: number, name: NameRef | undefined): Hit[] {
  const { tokens, table, syntax } = action;
  if (syntax.notValidConstraints !== true || !isWord(tokens[kindAt], 'FOREIGN', 'CHECK')) return [];
  if (findWords(tokens, kindAt, 'NOT', 'VALID') >= 0) return [];
  const what = isWord(tokens[kindAt], 'FOREIGN') ? 'foreign key' : 'check constraint';
  const blocked = what === 'foreign key' ? `${table.display} and the table it references` : table.display;
  return [hit(action, 'constraint-without-not-valid', `adds ${what}${name ? ` ${name.display}` : ''} to ${table.display} without NOT VALID: every row is checked while writes to ${blocked} are blocked`)];
}

function notNullHits(action: Action, column: NameRef): Hit[] {
  const { tokens, table } = action;
  if (findWords(tokens, column.next, 'NOT', 'NULL') < 0) return [];
  if (isWord(tokens[column.next], ...SERIAL_TYPES)) return [];
  if (tokens.some((t) => t.depth === 0 && isWord(t, ...FILLS_ROWS))) return [];
  return [hit(action, 'not-null-without-default', `adds column ${column.display} to ${table.display} as NOT NULL without a DEFAULT: it fails (or fills in an implicit value) when ${table.display} has rows`)];
}
