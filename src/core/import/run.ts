/**
 * `migrate import --from <tool>`: records in migrator_history what another tool's history table
 * says was applied, running no migration SQL (docs/import.md). Writes happen under the run lock,
 * in one transaction with one `import` audit row, like `migrate baseline`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MigratorError } from '../errors.js';
import type { EventSink } from '../events.js';
import { statementCount, type HistoryRow, type Migration, type RunContext } from '../model.js';
import type { Driver } from '../ports.js';
import { currentRows, highestApplied } from '../plan/history.js';
import { createAuditChain } from '../run/audit.js';
import { METADATA_FORMAT, readHistory } from '../run/executor.js';
import { inLockedTransaction } from '../run/locked-transaction.js';
import { auditEntry } from '../run/records.js';
import { takeRunLock } from '../run/run-lock.js';
import { takeSchemaRecord } from '../run/schema-record.js';
import { flywayChecksum } from './flyway-checksum.js';
import { mapImport, rowsToWrite } from './map.js';
import { readForeignHistory } from './read.js';
import type { ForeignEntry, ImportMapping, MappedEntry, ReadOptions, ToolReader } from './types.js';

export interface ImportInput {
  readonly driver: Driver;
  readonly context: RunContext;
  readonly reader: ToolReader;
  /** The table to read: the reader's default, or `--table`. */
  readonly table: string;
  readonly migrations: ReadonlyArray<Migration>;
  /** The directory the migrations' `file` paths are relative to: Flyway repeatables are read again for Flyway's checksum. */
  readonly cwd: string;
  /** `--allow-unmapped`: import what maps and leave the rest, instead of refusing. */
  readonly allowUnmapped: boolean;
  /** Narrows what the reader takes (Django's `--app`). */
  readonly read?: ReadOptions | undefined;
}

export interface ImportRunInput extends ImportInput {
  readonly emit: EventSink;
  readonly signal: AbortSignal;
  readonly lockTimeoutMs: number;
}

/** What an import found, and (for a real run) wrote. */
export interface ImportReport {
  readonly mapping: ImportMapping;
  /** History rows written: 0 for a dry run or when everything was recorded already. */
  readonly written: number;
  /** The batch the written rows got, `undefined` when none were written. */
  readonly batch: number | undefined;
}

const listed = (entries: ReadonlyArray<MappedEntry>): string =>
  entries.slice(0, 5).map((e) => `${e.ref} (${e.why ?? 'unknown'})`).join('; ') + (entries.length > 5 ? `; and ${entries.length - 5} more` : '');

/**
 * The refusal an import's mapping deserves, `undefined` when it may go ahead: conflicts and files
 * only partly applied always; unmapped entries unless `allowUnmapped`. Pure.
 */
export function refusal(mapping: ImportMapping, input: Pick<ImportInput, 'allowUnmapped' | 'table'> & { readonly tool: string }): MigratorError | undefined {
  const conflicts = mapping.entries.filter((e) => e.outcome === 'conflict');
  if (conflicts.length > 0) {
    return new MigratorError('E_IMPORT_REFUSED', `cannot import ${input.tool} history from ${input.table}: migrator_history already records ${conflicts.length === 1 ? 'this migration' : `${conflicts.length} of these migrations`} differently: ${listed(conflicts)}`, {
      hint: 'Run "migrate status" to see what migrator recorded, settle those rows ("migrate repair") and import again. Nothing was written.',
      details: { conflicts: conflicts.map(brief) },
    });
  }
  const partial = mapping.entries.filter((e) => e.outcome === 'partial');
  if (partial.length > 0) {
    const files = [...new Set(partial.map((e) => e.migration?.file ?? '?'))];
    return new MigratorError('E_IMPORT_REFUSED', `cannot import ${input.tool} history from ${input.table}: ${files.join(', ')} ${files.length === 1 ? 'is' : 'are'} named by entries of which only some were applied: ${listed(partial)}`, {
      hint: `Such a file is neither applied nor not applied. Finish or undo the entries that were not applied with ${input.tool}, or split the file so each part has its own version, and import again. Nothing was written.`,
      details: { partial: partial.map(brief) },
    });
  }
  const unmapped = mapping.entries.filter((e) => e.outcome === 'unmapped');
  if (unmapped.length > 0 && !input.allowUnmapped) {
    return new MigratorError('E_IMPORT_REFUSED', `cannot import ${input.tool} history from ${input.table}: ${unmapped.length} entr${unmapped.length === 1 ? 'y matches' : 'ies match'} no migration file: ${listed(unmapped)}`, {
      hint: 'Add the missing files with the same versions (or check --dir), or pass --allow-unmapped to import the entries that match and leave these out. Nothing was written.',
      details: { unmapped: unmapped.map(brief) },
    });
  }
  return undefined;
}

/** An entry as audit details and errors list it. */
export function brief(e: MappedEntry): { ref: string; version: string | null; why: string | null } {
  return { ref: e.ref, version: e.version ?? null, why: e.why ?? null };
}

/**
 * Flyway's checksum of each repeatable file, by migration id, when the entries hold a Flyway
 * repeatable's checksum (else none is read). A file that cannot be read is left out: its
 * repeatable then stays pending.
 */
async function flywayChecksums(input: ImportInput, entries: ReadonlyArray<ForeignEntry>): Promise<ReadonlyMap<string, number>> {
  const sums = new Map<string, number>();
  if (!entries.some((e) => e.key.kind === 'script' && e.checksum !== undefined)) return sums;
  for (const m of input.migrations.filter((mig) => mig.kind === 'repeatable')) {
    const text = await readFile(path.resolve(input.cwd, m.file), 'utf8').catch(() => undefined);
    if (text !== undefined) sums.set(m.id, flywayChecksum(text));
  }
  return sums;
}

async function mapFrom(input: ImportInput, history: ReadonlyArray<HistoryRow>): Promise<ImportMapping> {
  const entries = await readForeignHistory(input.driver, input.reader, input.table, input.read);
  return mapImport({ entries, migrations: input.migrations, history, flywayChecksums: await flywayChecksums(input, entries) });
}

/** Reads both histories and maps them, on any session (read-only included): what `--dry-run` shows. Writes nothing. */
export async function previewImport(input: ImportInput): Promise<ImportMapping> {
  const { rows } = await readHistory(input.driver);
  return mapFrom(input, rows);
}

function rowOf(e: MappedEntry, input: ImportInput, batch: number): HistoryRow {
  const { context } = input;
  const m = e.migration;
  const statements = m ? statementCount(m.up) : 0;
  return {
    version: m?.id ?? e.version ?? '', description: m?.description ?? 'baseline', kind: e.kind ?? 'versioned',
    script: m?.file ?? '', checksum: m?.checksum ?? 'baseline', downChecksum: m?.downChecksum ?? null, state: 'applied', batch,
    statementsTotal: statements, statementsApplied: statements, appliedHash: null,
    appliedBy: e.appliedBy ?? context.actor, appliedAt: e.appliedAt ?? context.now().toISOString(),
    executionMs: 0, error: null, runId: context.runId, toolVersion: context.toolVersion,
  };
}

/**
 * Imports under the lock: re-reads both histories, maps, refuses (writing nothing) on conflicts
 * or unmapped entries, and otherwise writes every `import` entry's row, the schema record and one
 * `import` audit row in one transaction. Nothing to import (all recorded already) writes nothing.
 * @throws MigratorError E_IMPORT_REFUSED, E_LOCK_TIMEOUT, E_METADATA_VERSION.
 */
export async function runImport(input: ImportRunInput): Promise<ImportReport> {
  const { driver, context } = input;
  await takeRunLock(driver, context, { timeoutMs: input.lockTimeoutMs, emit: input.emit, signal: input.signal });
  try {
    const { rows: history } = await readHistory(driver);
    const mapping = await mapFrom(input, history);
    const refused = refusal(mapping, { ...input, tool: input.reader.tool });
    if (refused) throw refused;
    const toWrite = rowsToWrite(mapping);
    if (toWrite.length === 0) return { mapping, written: 0, batch: undefined };
    const batch = history.reduce((max, row) => Math.max(max, row.batch), 0) + 1;
    const rows = toWrite.map((e) => rowOf(e, input, batch));
    await driver.prepareMetadata(METADATA_FORMAT);
    const chain = createAuditChain(driver, await driver.readAuditHead());
    const current = highestApplied(currentRows([...history, ...rows]).values());
    const schema = await takeSchemaRecord(driver, context, current);
    await inLockedTransaction(driver, async () => {
      for (const row of rows) await driver.writeHistory(row);
      await driver.recordSchema(schema);
      await chain.append(auditEntry(context, {
        event: 'import', outcome: 'success', toVersion: current, detail: {
          tool: input.reader.tool, table: input.table, batch,
          imported: rows.map((row) => row.version),
          alreadyRecorded: mapping.entries.filter((e) => e.outcome === 'recorded').length,
          skipped: mapping.entries.filter((e) => e.outcome === 'skipped').map(brief),
          unmapped: mapping.entries.filter((e) => e.outcome === 'unmapped').map(brief),
          gaps: mapping.gaps,
        },
      }));
    });
    return { mapping, written: rows.length, batch };
  } finally {
    await driver.unlock().catch(() => undefined);
  }
}
