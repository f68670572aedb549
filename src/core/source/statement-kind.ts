/** What kind of statement a scanned statement is, for how it may run (core/run/step.ts). */

const DATA_WORDS = new Set(['insert', 'update', 'delete', 'replace', 'merge', 'select', 'with', 'values', 'upsert', 'copy']);

/**
 * Whether a statement only reads or writes rows (INSERT, UPDATE, DELETE, SELECT, COPY, ...): such a
 * statement can share a transaction with its journal write on every engine, even where DDL cannot,
 * and commits nothing by itself.
 */
export function isDataStatement(sql: string): boolean {
  const word = /^[\s(]*([A-Za-z]+)/.exec(sql.replace(/^(?:\s*(?:--[^\n]*\n|\/\*[\s\S]*?\*\/))*/, ''))?.[1]?.toLowerCase();
  return word !== undefined && DATA_WORDS.has(word);
}
