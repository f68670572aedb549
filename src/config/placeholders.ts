/**
 * `placeholders:` in the config file (top level and per environment block) and the
 * `MIGRATOR_PLACEHOLDER_<NAME>` variables that set the value of a declared one. A map, so it does
 * not fit the flat key table: the file blocks merge name by name (an environment block may change
 * a value and keep the kind declared at the top level), then `.env`, then the environment.
 * No `placeholders:` key at all means placeholders are off and files run as written.
 */
// zod/mini: see schema.ts.
import * as z from 'zod/mini';
import { MigratorError } from '../core/errors.js';
import { PLACEHOLDER_NAME, placeholderValueProblem, type Placeholder, type PlaceholderKind, type Placeholders } from '../core/source/placeholders.js';
import type { PlaceholderDeclarations } from './keys.js';
import type { Layer } from './layers.js';
import './zod-messages.js';

/** Variables named `MIGRATOR_PLACEHOLDER_<NAME>` (the name upper-cased) set a declared placeholder's value. */
export const PLACEHOLDER_VARIABLE_PREFIX = 'MIGRATOR_PLACEHOLDER_';

const KINDS = ['identifier', 'literal', 'raw'] as const;

/** `placeholders:` as a config file block writes it. */
export const placeholdersFileSchema = z.record(
  z.string().check(z.regex(PLACEHOLDER_NAME, 'placeholder names use letters, digits and _ (not first a digit)')),
  z.strictObject({ value: z.optional(z.union([z.string(), z.number()])), as: z.optional(z.enum(KINDS)) }),
);

/** One block's declarations, values read as text and `${env:NAME}` resolved by `text`. */
export function placeholderDeclarations(block: z.infer<typeof placeholdersFileSchema>, text: (name: string, value: string) => string): PlaceholderDeclarations {
  const out: Record<string, { as?: PlaceholderKind; value?: string }> = {};
  for (const [name, entry] of Object.entries(block)) {
    out[name] = {
      ...(entry.as === undefined ? {} : { as: entry.as }),
      ...(entry.value === undefined ? {} : { value: text(name, String(entry.value)) }),
    };
  }
  return out;
}

interface Draft {
  kind: PlaceholderKind | undefined;
  value: string | undefined;
  from: string;
}

function variableName(name: string): string {
  return `${PLACEHOLDER_VARIABLE_PREFIX}${name.toUpperCase()}`;
}

/**
 * Merges the file layers' declarations and the variables; `undefined` when no layer declares
 * `placeholders:`. Throws E_CONFIG for a variable naming an undeclared placeholder, a placeholder
 * without kind or value, two names that share one variable, or a value its kind refuses.
 */
export function resolvePlaceholders(
  layers: ReadonlyArray<Layer>,
  variables: ReadonlyArray<{ readonly name: string; readonly values: Readonly<Record<string, string | undefined>> }>,
): { readonly placeholders: Placeholders; readonly origin: string } | undefined {
  const drafts = new Map<string, Draft>();
  const origins = new Set<string>();
  let declared = false;
  for (const layer of layers) {
    const block = layer.values.get('placeholders') as PlaceholderDeclarations | undefined;
    if (block === undefined) continue;
    declared = true;
    origins.add(layer.name);
    for (const [name, entry] of Object.entries(block)) {
      const previous = drafts.get(name);
      drafts.set(name, { kind: entry.as ?? previous?.kind, value: entry.value ?? previous?.value, from: entry.value === undefined ? previous?.from ?? layer.name : layer.name });
    }
  }
  const byVariable = new Map<string, string>();
  for (const name of drafts.keys()) {
    const other = byVariable.get(variableName(name));
    if (other !== undefined) throw new MigratorError('E_CONFIG', `placeholders ${other} and ${name} would both be set by ${variableName(name)}`, { hint: 'Rename one of them: placeholder names must differ in more than letter case.' });
    byVariable.set(variableName(name), name);
  }
  for (const { name: layerName, values } of variables) {
    for (const [variable, value] of Object.entries(values)) {
      if (!variable.startsWith(PLACEHOLDER_VARIABLE_PREFIX) || value === undefined || value === '') continue;
      const name = byVariable.get(variable);
      const draft = name === undefined ? undefined : drafts.get(name);
      if (!draft) {
        throw new MigratorError('E_CONFIG', `${layerName}: ${variable} sets a placeholder the config file does not declare (declared: ${[...drafts.keys()].join(', ') || 'none'})`, {
          hint: 'Declare it under placeholders: in the config file (with its kind, as: identifier | literal | raw), or unset the variable.',
        });
      }
      draft.value = value;
      draft.from = `${layerName}, ${variable}`;
      origins.add(layerName);
    }
  }
  if (!declared) return undefined;
  const placeholders: Record<string, Placeholder> = {};
  for (const [name, draft] of drafts) {
    const where = `placeholders.${name} (set by ${draft.from})`;
    if (draft.kind === undefined) throw new MigratorError('E_CONFIG', `${where}: no kind`, { hint: `Add as: identifier, as: literal or as: raw to placeholders.${name} in the config file.` });
    if (draft.value === undefined) throw new MigratorError('E_CONFIG', `${where}: no value`, { hint: `Set placeholders.${name}.value in the config file, or ${variableName(name)}.` });
    const problem = placeholderValueProblem(draft.kind, draft.value);
    if (problem) throw new MigratorError('E_CONFIG', `${where}: ${draft.kind} value ${problem}`, { hint: 'Fix the value (docs/file-format.md#placeholders).' });
    placeholders[name] = Object.freeze({ kind: draft.kind, value: draft.value });
  }
  return { placeholders: Object.freeze(placeholders), origin: [...origins].join(', ') };
}

/** `migrate config` text: `schema = app (identifier); owner = O'Brien (literal)`. */
export function describePlaceholders(placeholders: Placeholders): string {
  const names = Object.keys(placeholders).sort();
  if (names.length === 0) return '(on, none declared)';
  return names.map((name) => `${name} = ${placeholders[name]?.value ?? ''} (${placeholders[name]?.kind ?? ''})`).join('; ');
}
