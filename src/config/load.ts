/**
 * Loads the effective configuration of one run: `.env`, the config file, the environment and the
 * flags, resolved into one validated Config, and the password read from its source. Every secret
 * met on the way is registered with the redactor before anything can print it.
 */
import { loadDotenv } from './dotenv.js';
import { loadConfigFile } from './file.js';
import type { ConfigKey, RawValue } from './keys.js';
import { readPassword } from './password.js';
import type { SecretRegistry } from './redact.js';
import { resolveConfig, type ResolvedConfig } from './resolve.js';

export interface LoadConfigOptions {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--config`: the file to load instead of searching. */
  readonly configFile: string | undefined;
  /** `--dotenv`: the file to read instead of `./.env`. */
  readonly envFile: string | undefined;
  /** `--env`: the environment block to select. */
  readonly environment: string | undefined;
  readonly flags: Partial<Record<ConfigKey, RawValue | undefined>>;
  readonly secrets: SecretRegistry;
}

export interface LoadedConfig extends ResolvedConfig {
  /** The database password from `password:` (or MIGRATOR_PASSWORD), `undefined` when none is configured. */
  readonly password: string | undefined;
  readonly file: string | undefined;
  readonly dotenvFile: string | undefined;
}

/** Variables whose values are secrets wherever they come from. */
const SECRET_VARIABLES = ['MIGRATOR_PASSWORD', 'PGPASSWORD', 'MYSQL_PWD'];
const URL_VARIABLES = ['DATABASE_URL', 'MIGRATOR_URL', 'MIGRATOR_SCRATCH_URL', 'MIGRATOR_METRICS_PUSHGATEWAY'];

/** Registers the secrets a set of variables holds (used for the environment and for `.env`). */
export function registerVariableSecrets(variables: Readonly<Record<string, string | undefined>>, secrets: SecretRegistry): void {
  for (const name of SECRET_VARIABLES) secrets.add(variables[name]);
  for (const name of URL_VARIABLES) secrets.addUrl(variables[name]);
}

export async function loadConfiguration(options: LoadConfigOptions): Promise<LoadedConfig> {
  const dotenv = await loadDotenv(options.cwd, options.envFile);
  if (dotenv) registerVariableSecrets(dotenv.variables, options.secrets);
  const file = await loadConfigFile(options.cwd, options.configFile);
  const resolved = resolveConfig({ file, dotenv, env: options.env, flags: options.flags, environment: options.environment });
  const { config } = resolved;
  options.secrets.addUrl(config.url);
  options.secrets.addUrl(config.rehearsal.scratchUrl);
  options.secrets.addUrl(config.metrics.pushgateway);
  if (config.password?.kind === 'literal') options.secrets.add(config.password.value);
  const password = config.password === undefined ? undefined : await readPassword(config.password, options.cwd, resolved.origins.get('password') ?? 'config', options.env);
  options.secrets.add(password);
  return { ...resolved, password, file: file?.file, dotenvFile: dotenv?.file };
}
