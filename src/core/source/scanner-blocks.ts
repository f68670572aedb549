/**
 * Follows `BEGIN ... END` bodies whose semicolons do not end the statement, for the three kinds of
 * `SqlSyntax.blockBodies`. Fed only words and other significant tokens found outside quotes and
 * comments, one statement at a time; keyword matching is on whole words, in any letter case.
 */
import type { SqlSyntax } from './syntax.js';

/** What the scanner asks of a body tracker. */
export interface BlockTracker {
  /**
   * Feeds a word (keyword or identifier) `text[start, end)`. `base` is added to the positions it
   * records (`openedAt`): the streaming scanner's buffer starts `base` characters into the input.
   */
  word(text: string, start: number, end: number, base?: number): void;
  /** Feeds any other significant token; `c` is its first character code (for parentheses). */
  other(c: number): void;
  /** True while a body is open: a `;` there does not end the statement. */
  readonly open: boolean;
  /** True once the statement can hold no body: further tokens change nothing until `reset`. */
  readonly settled: boolean;
  /** Index of the BEGIN that opened the outermost body, -1 before one opened. */
  readonly openedAt: number;
  /** The open construct, for "unterminated ..." messages. */
  readonly what: string;
  /** Starts over for a new statement. */
  reset(): void;
}

/** Returns a fresh tracker for `mode`. */
export function createBlockTracker(mode: SqlSyntax['blockBodies']): BlockTracker {
  switch (mode) {
    case 'sqlite-trigger':
      return new SqliteTriggerTracker();
    case 'mysql-compound':
      return new MysqlCompoundTracker();
    case 'postgres-atomic':
      return new PostgresAtomicTracker();
  }
}

type Phase = 'start' | 'header' | 'anonymous' | 'armed' | 'body' | 'ignore';

/** Longest keyword any tracker looks at (`temporary`, `procedure`): longer words are identifiers. */
const KEYWORD_MAX = 9;

abstract class Tracker implements BlockTracker {
  protected phase: Phase = 'start';
  protected depth = 0;
  /** Parentheses open before the body: `CREATE PROCEDURE p(IN begin INT)` names a parameter. */
  protected parens = 0;
  /** The previous significant token if it was a word (lower case), else `''`. */
  protected prev = '';
  protected prevStart = -1;
  openedAt = -1;
  what = '';

  get open(): boolean {
    return this.depth > 0;
  }

  get settled(): boolean {
    return this.phase === 'ignore';
  }

  word(text: string, start: number, end: number, base = 0): void {
    if (this.phase === 'ignore') return;
    const w = end - start <= KEYWORD_MAX ? text.slice(start, end).toLowerCase() : '';
    this.step(w, base + start);
    this.prev = w;
    this.prevStart = base + start;
  }

  other(c: number): void {
    if (this.phase === 'ignore') return;
    if (this.phase !== 'body') {
      if (c === 40) this.parens++;
      else if (c === 41 && this.parens > 0) this.parens--;
    }
    this.prev = '';
  }

  reset(): void {
    this.phase = 'start';
    this.depth = 0;
    this.parens = 0;
    this.prev = '';
    this.prevStart = -1;
    this.openedAt = -1;
    this.what = '';
  }

  /** Handles one word `w` (lower case, `''` when too long to be a keyword) starting at `start`. */
  protected abstract step(w: string, start: number): void;

  protected openBody(at: number): void {
    this.phase = 'body';
    this.depth = 1;
    this.openedAt = at;
  }
}

/** SQLite: `CREATE [TEMP|TEMPORARY] TRIGGER ... BEGIN ... END`, with CASE ... END inside. */
class SqliteTriggerTracker extends Tracker {
  protected step(w: string, start: number): void {
    switch (this.phase) {
      case 'start':
        this.phase = w === 'create' ? 'header' : 'ignore';
        break;
      case 'header':
        if (w === 'trigger') {
          this.phase = 'armed';
          this.what = 'CREATE TRIGGER';
        } else if (!((w === 'temp' || w === 'temporary') && this.prev === 'create')) {
          this.phase = 'ignore';
        }
        break;
      case 'armed':
        if (w === 'begin' && this.parens === 0) this.openBody(start);
        break;
      default:
        if (w === 'begin' || w === 'case') this.depth++;
        else if (w === 'end' && this.depth > 0) this.depth--;
    }
  }
}

const MYSQL_ROUTINES = new Set(['procedure', 'function', 'trigger', 'event']);
/** CREATE forms that never hold a compound body: decide early, and never take `begin` for one. */
const MYSQL_OTHER_OBJECTS = new Set([
  'table', 'temporary', 'view', 'index', 'unique', 'fulltext', 'spatial', 'database', 'schema', 'user', 'role',
  'server', 'tablespace', 'logfile', 'resource', 'sequence', 'algorithm', 'sql', 'package', 'synonym',
]);
/** `END IF` and friends close blocks this tracker does not count (IF is also a function name). */
const MYSQL_UNCOUNTED_ENDS = new Set(['if', 'loop', 'while', 'repeat']);

/**
 * MySQL/MariaDB compound statements sent without `DELIMITER`: `CREATE [DEFINER=...]
 * PROCEDURE|FUNCTION|TRIGGER|EVENT ... BEGIN ... END`, and MariaDB's `BEGIN NOT ATOMIC ... END`.
 */
class MysqlCompoundTracker extends Tracker {
  /** The previous word was an END that closed a counted block. */
  private endCounted = false;
  private beginAt = -1;

  protected step(w: string, start: number): void {
    switch (this.phase) {
      case 'start':
        this.phase = w === 'create' ? 'header' : w === 'begin' ? 'anonymous' : 'ignore';
        this.beginAt = start;
        break;
      case 'anonymous':
        // MariaDB runs `BEGIN NOT ATOMIC ... END` outside any routine; a plain BEGIN is a transaction.
        if (w === 'not' && this.prev === 'begin') break;
        if (w === 'atomic' && this.prev === 'not') {
          this.what = 'BEGIN NOT ATOMIC';
          this.openBody(this.beginAt);
        } else {
          this.phase = 'ignore';
        }
        break;
      case 'header':
        if (MYSQL_ROUTINES.has(w)) {
          this.phase = 'armed';
          this.what = `CREATE ${w.toUpperCase()}`;
        } else if (MYSQL_OTHER_OBJECTS.has(w)) {
          this.phase = 'ignore';
        }
        break;
      case 'armed':
        if (w === 'begin' && this.parens === 0) this.openBody(start);
        break;
      default:
        this.body(w);
    }
  }

  override reset(): void {
    super.reset();
    this.endCounted = false;
    this.beginAt = -1;
  }

  private body(w: string): void {
    const afterEnd = this.endCounted && this.prev === 'end';
    this.endCounted = false;
    if (w === 'end') {
      if (this.depth > 0) {
        this.depth--;
        this.endCounted = true;
      }
    } else if (w === 'begin') {
      this.depth++;
    } else if (w === 'case') {
      // END CASE closes the CASE statement the END already counted.
      if (!afterEnd) this.depth++;
    } else if (afterEnd && MYSQL_UNCOUNTED_ENDS.has(w)) {
      this.depth++;
    }
  }
}

/** PostgreSQL 14+: `CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ATOMIC ... END`, CASE balanced. */
class PostgresAtomicTracker extends Tracker {
  protected step(w: string): void {
    switch (this.phase) {
      case 'start':
        this.phase = w === 'create' ? 'header' : 'ignore';
        break;
      case 'header':
        if (w === 'function' || w === 'procedure') {
          this.phase = 'armed';
          this.what = `CREATE ${w.toUpperCase()}`;
        } else if (w !== 'or' && w !== 'replace') {
          this.phase = 'ignore';
        }
        break;
      case 'armed':
        // A plain BEGIN is a transaction; only BEGIN ATOMIC opens a body.
        if (w === 'atomic' && this.prev === 'begin' && this.parens === 0) this.openBody(this.prevStart);
        break;
      default:
        if (w === 'case' || (w === 'atomic' && this.prev === 'begin')) this.depth++;
        else if (w === 'end' && this.depth > 0) this.depth--;
    }
  }
}
