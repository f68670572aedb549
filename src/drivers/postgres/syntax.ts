import type { SqlSyntax } from '../../core/source/syntax.js';

/** PostgreSQL's lexical rules, for splitting files without a server. */
export const postgresSyntax: SqlSyntax = Object.freeze({
  label: 'PostgreSQL',
  dollarQuotes: true,
  nestedBlockComments: true,
  backslashEscapes: false,
  escapeStrings: true,
  backtickIdentifiers: false,
  bracketIdentifiers: false,
  hashComments: false,
  dashCommentNeedsSpace: false,
  delimiterDirective: false,
  executableComments: false,
  blockBodies: 'postgres-atomic',
  concurrentIndexes: true,
  notValidConstraints: true,
  copyFromStdin: true,
  // PostgreSQL refuses these inside a transaction block (ERROR 25001).
  nonTransactional: Object.freeze([
    /^create\s+(?:unique\s+)?index\s+concurrently\b/i,
    /^drop\s+index\s+concurrently\b/i,
    /^reindex\b[^;]*\bconcurrently\b/i,
    /^refresh\s+materialized\s+view\s+concurrently\b/i,
    /^vacuum\b/i,
    /^create\s+database\b/i,
    /^drop\s+database\b/i,
    /^create\s+tablespace\b/i,
    /^drop\s+tablespace\b/i,
    /^alter\s+system\b/i,
    /^create\s+subscription\b/i,
    /^alter\s+subscription\b[^;]*\b(?:refresh|enable|disable)\b/i,
    /^drop\s+subscription\b/i,
  ]),
});
