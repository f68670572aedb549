/**
 * `${env:NAME}` in config-file values: secrets stay out of the file and come from the environment
 * (or `.env`). An unset variable is an error naming it, never an empty string that would, say,
 * connect without a password.
 */
import { MigratorError } from '../core/errors.js';

const REFERENCE = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replaces every `${env:NAME}` in `text`; `where` names the key and layer for errors. */
export function interpolate(text: string, lookup: (name: string) => string | undefined, where: string): string {
  return text.replace(REFERENCE, (_match, name: string) => {
    const value = lookup(name);
    if (value === undefined) {
      throw new MigratorError('E_CONFIG', `${where}: \${env:${name}} refers to ${name}, which is not set`, {
        hint: `Set ${name} in the environment or in .env, or change the value.`,
      });
    }
    return value;
  });
}

/** Whether `text` refers to an environment variable. */
export function hasReference(text: string): boolean {
  return text.search(REFERENCE) !== -1;
}
