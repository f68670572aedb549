import type { SqlSyntax } from '../../core/source/syntax.js';

/** MySQL and MariaDB lexical rules (default sql_mode), for splitting files without a server. */
export const mysqlSyntax: SqlSyntax = Object.freeze({
  label: 'MySQL',
  dollarQuotes: false,
  nestedBlockComments: false,
  backslashEscapes: true,
  escapeStrings: false,
  backtickIdentifiers: true,
  identifierQuote: '`',
  bracketIdentifiers: false,
  hashComments: true,
  dashCommentNeedsSpace: true,
  delimiterDirective: true,
  executableComments: true,
  blockBodies: 'mysql-compound',
  copyFromStdin: false,
  // DDL is never transactional on MySQL, so nothing needs to be singled out.
  nonTransactional: Object.freeze([]),
});
