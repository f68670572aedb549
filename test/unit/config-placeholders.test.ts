/**
 * `placeholders:` in the configuration: off without the key, merged name by name from the top
 * level and the environment block, values from MIGRATOR_PLACEHOLDER_<NAME> for declared names only,
 * values checked against their kind, and shown by `migrate config`.
 */
import { describe, expect, it } from 'vitest';
import { describeConfig } from '../../src/config/describe.js';
import type { FileConfig } from '../../src/config/file.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { MigratorError } from '../../src/core/errors.js';

type Block = FileConfig['base'];
const fileWith = (base: Block, environments: Record<string, Block> = {}): FileConfig => ({ file: 'migrator.config.yaml', base, environments });

function configError(attempt: () => unknown): MigratorError {
  try {
    attempt();
  } catch (error) {
    expect(error).toBeInstanceOf(MigratorError);
    expect((error as MigratorError).code).toBe('E_CONFIG');
    return error as MigratorError;
  }
  throw new Error('expected E_CONFIG');
}

const base: Block = { placeholders: { schema: { value: 'app', as: 'identifier' }, owner: { value: "O'Brien", as: 'literal' } } };

describe('placeholders configuration', () => {
  it('is off (undefined) without a placeholders: key', () => {
    expect(resolveConfig({ env: {}, flags: {} }).config.placeholders).toBeUndefined();
  });

  it('merges the environment block name by name, keeping the kind declared at the top level', () => {
    const { config } = resolveConfig({ file: fileWith(base, { prod: { placeholders: { schema: { value: 'app_prod' }, suffix: { value: 2, as: 'raw' } } } }), env: {}, flags: {}, environment: 'prod' });
    expect(config.placeholders).toEqual({ schema: { kind: 'identifier', value: 'app_prod' }, owner: { kind: 'literal', value: "O'Brien" }, suffix: { kind: 'raw', value: '2' } });
  });

  it('takes values of declared names from MIGRATOR_PLACEHOLDER_<NAME>, .env below the environment', () => {
    const { config, origins } = resolveConfig({
      file: fileWith(base),
      dotenv: { file: '.env', variables: { MIGRATOR_PLACEHOLDER_SCHEMA: 'from_dotenv', MIGRATOR_PLACEHOLDER_OWNER: 'dotenv owner' } },
      env: { MIGRATOR_PLACEHOLDER_SCHEMA: 'from_env' },
      flags: {},
    });
    expect(config.placeholders).toEqual({ schema: { kind: 'identifier', value: 'from_env' }, owner: { kind: 'literal', value: 'dotenv owner' } });
    expect(origins.get('placeholders')).toBe('file migrator.config.yaml, .env, environment');
  });

  it('refuses a variable for a name the file does not declare, and any when placeholders are off', () => {
    expect(configError(() => resolveConfig({ file: fileWith(base), env: { MIGRATOR_PLACEHOLDER_SHEMA: 'x' }, flags: {} })).message)
      .toBe('environment: MIGRATOR_PLACEHOLDER_SHEMA sets a placeholder the config file does not declare (declared: schema, owner)');
    expect(configError(() => resolveConfig({ env: { MIGRATOR_PLACEHOLDER_SCHEMA: 'x' }, flags: {} })).message).toContain('(declared: none)');
  });

  it('refuses an identifier that is not one, naming the key and who set it', () => {
    const error = configError(() => resolveConfig({ file: fileWith(base), env: { MIGRATOR_PLACEHOLDER_SCHEMA: 'a"; DROP TABLE b; --' }, flags: {} }));
    expect(error.message).toMatch(/^placeholders\.schema \(set by environment, MIGRATOR_PLACEHOLDER_SCHEMA\): identifier value "a"; DROP TABLE b; --" is not an identifier/);
  });

  it('needs a kind and a value for every name', () => {
    expect(configError(() => resolveConfig({ file: fileWith({ placeholders: { schema: { value: 'x' } } }), env: {}, flags: {} })).message).toContain('placeholders.schema (set by file migrator.config.yaml): no kind');
    expect(configError(() => resolveConfig({ file: fileWith({ placeholders: { schema: { as: 'identifier' } } }), env: {}, flags: {} })).hint).toContain('MIGRATOR_PLACEHOLDER_SCHEMA');
  });

  it('refuses two names that one variable would set', () => {
    expect(configError(() => resolveConfig({ file: fileWith({ placeholders: { a: { value: 'x', as: 'raw' }, A: { value: 'y', as: 'raw' } } }), env: {}, flags: {} })).message).toContain('MIGRATOR_PLACEHOLDER_A');
  });

  it('is shown by migrate config with values and kinds', () => {
    const entry = describeConfig(resolveConfig({ file: fileWith(base), env: {}, flags: {} })).find((e) => e.key === 'placeholders');
    expect(entry).toEqual({ key: 'placeholders', value: "owner = O'Brien (literal); schema = app (identifier)", from: 'file migrator.config.yaml' });
  });
});
