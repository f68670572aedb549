/**
 * Reading another tool's history table through the driver port: one SELECT, nothing created,
 * works on a read-only session. Engine-neutral: the table name is tried as written and then
 * quoted in the driver's syntax (an engine that folds unquoted names to lower case needs quotes
 * for Sequelize's "SequelizeMeta", while Liquibase's DATABASECHANGELOG folds to the name it has).
 */
import { MigratorError } from '../errors.js';
import type { Driver } from '../ports.js';
import { quoteIdentifier } from '../source/placeholders.js';
import type { ForeignEntry, ReadOptions, ToolReader } from './types.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_$]*(?:\.[A-Za-z_][A-Za-z0-9_$]*)?$/;

/** Whether `table` can be named in SQL as it is: `name` or `schema.name`, letters, digits, `_`, `$`. */
export function validTableName(table: string): boolean {
  return NAME.test(table);
}

/** The table as written (unquoted), then quoted the engine's way: the name exactly as spelt. */
function spellings(table: string, driver: Driver): string[] {
  return [table, quoteIdentifier(table, driver.syntax)];
}

/** Whether `SELECT <columns> FROM <spelled>` runs: the query reads no row, and a failure is only an answer. */
async function readable(driver: Driver, spelled: string, columns: ReadonlyArray<string>): Promise<boolean> {
  try {
    await driver.query(`SELECT ${columns.join(', ')} FROM ${spelled} WHERE 1 = 0`, []);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads `table` (the reader's default unless `--table` named another) and parses its rows.
 * @throws MigratorError E_USAGE for a table name that is not a plain identifier; E_IMPORT_REFUSED
 *   when no spelling of the table can be read (it does not exist, or this user may not read it),
 *   with the engine's message; the reader's `telltale` refusal when the table looks like another
 *   tool's (golang-migrate's `dirty` column present or missing); and whatever `parse` refuses.
 */
export async function readForeignHistory(driver: Driver, reader: ToolReader, table: string, options: ReadOptions = {}): Promise<ReadonlyArray<ForeignEntry>> {
  if (!validTableName(table)) {
    throw new MigratorError('E_USAGE', `--table "${table}" is not a table name`, { hint: 'Give the table as name or schema.name (letters, digits and underscores).' });
  }
  const columns = reader.columns.map((column) => `${column} AS ${column}`).join(', ');
  const { telltale } = reader;
  let failure: unknown;
  for (const spelled of spellings(table, driver)) {
    const sql = `SELECT ${columns} FROM ${spelled}${reader.orderBy === undefined ? '' : ` ORDER BY ${reader.orderBy}`}`;
    let rows: ReadonlyArray<Readonly<Record<string, unknown>>>;
    try {
      ({ rows } = await driver.query(sql, []));
    } catch (error) {
      failure ??= error;
      // The table is there with every other column but not the telltale one: another tool's table.
      const others = reader.columns.filter((column) => column !== telltale?.column);
      if (telltale?.hasIt === true && (await readable(driver, spelled, others)) && !(await readable(driver, spelled, [telltale.column]))) throw telltale.refusal(table);
      continue;
    }
    if (telltale?.hasIt === false && (await readable(driver, spelled, [telltale.column]))) throw telltale.refusal(table);
    return reader.parse(rows, table, options);
  }
  const info = driver.describeError(failure);
  throw new MigratorError('E_IMPORT_REFUSED', `cannot read the ${reader.tool} history table ${table} on ${driver.label}: ${info.message}`, {
    hint: `Check that ${reader.tool} kept its history in this database and schema, under the name ${table}; name another table with --table <name> (or schema.name), or pick the right tool with --from. Nothing was written.`,
    details: { tool: reader.tool, table, engineCode: info.code },
  });
}
