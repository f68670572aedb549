import type { SqlSyntax } from '../../core/source/syntax.js';

/** SQLite's lexical rules, for splitting files without opening the database. */
export const sqliteSyntax: SqlSyntax = Object.freeze({
  label: 'SQLite',
  dollarQuotes: false,
  nestedBlockComments: false,
  backslashEscapes: false,
  escapeStrings: false,
  backtickIdentifiers: true,
  bracketIdentifiers: true,
  hashComments: false,
  dashCommentNeedsSpace: false,
  delimiterDirective: false,
  executableComments: false,
  blockBodies: 'sqlite-trigger',
  copyFromStdin: false,
  nonTransactional: Object.freeze([
    // "cannot VACUUM from within a transaction"
    /^vacuum\b/i,
    // PRAGMA foreign_keys is silently a no-op inside a transaction: run such files outside one.
    /^pragma\s+(?:\w+\.)?foreign_keys\b/i,
    /^pragma\s+(?:\w+\.)?journal_mode\b/i,
  ]),
});
