/**
 * Secrets (DESIGN.md section 7): URLs print redacted, one registry scrubs every known secret in
 * every form it can be printed in, and passwords come from the configuration, a file or a command
 * without ever being quoted in an error. The canary carries every character that changes form when
 * encoded: `@ : / # ? %` for URLs, `'` and `"` for shells and JSON.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PasswordSource } from '../../src/config/keys.js';
import { readPassword } from '../../src/config/password.js';
import { createSecretRegistry, redactUrl } from '../../src/config/redact.js';
import { MigratorError } from '../../src/core/errors.js';

const CANARY = `Cn4ry-${randomBytes(4).toString('hex')}-p@ss:/#?%'"`;
const ENCODED = encodeURIComponent(CANARY);
const LOWER_HEX = ENCODED.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
const MIXED_HEX = ENCODED.replace(/%[0-9A-F]{2}/g, (escape, offset: number) => (offset % 2 === 0 ? escape.toLowerCase() : escape));
const jsonInner = (text: string): string => JSON.stringify(text).slice(1, -1);

/** Substrings of `secret` at least `length` characters long that appear in `text`. */
function fragments(text: string, secret: string, length = 6): string[] {
  const found = new Set<string>();
  for (let i = 0; i + length <= secret.length; i++) {
    const piece = secret.slice(i, i + length);
    if (text.includes(piece)) found.add(piece);
  }
  return [...found];
}

describe('redactUrl', () => {
  it.each([
    ['user and password', 'postgres://app:s3cret@db:5432/prod', 'postgres://app:***@db:5432/prod'],
    ['user, no password', 'mysql://root@localhost:3306/test', 'mysql://root@localhost:3306/test'],
    ['no userinfo at all', 'postgres://db.internal/prod', 'postgres://db.internal/prod'],
    ['empty password', 'postgres://app:@db/prod', 'postgres://app:***@db/prod'],
    ['query ?password=', 'postgres://db/prod?user=app&password=s3cret&sslmode=require', 'postgres://db/prod?user=app&password=***&sslmode=require'],
    ['query ?pass= and &pwd=, any case', 'mysql://db/x?PASS=one&pwd=two', 'mysql://db/x?PASS=***&pwd=***'],
    // A database URL has no use for a fragment: a raw "#" is taken as part of the password.
    ['query password with a raw # in it', 'postgres://db/x?password=s3cret#frag', 'postgres://db/x?password=***'],
    ['userinfo and query password', 'postgres://app:one@db/x?password=two', 'postgres://app:***@db/x?password=***'],
    ['IPv6 host', 'postgres://app:s3cret@[::1]:5432/prod', 'postgres://app:***@[::1]:5432/prod'],
    ['IPv6 host, no password', 'postgres://app@[2001:db8::1]/prod', 'postgres://app@[2001:db8::1]/prod'],
    ['percent-encoded password', 'postgres://app:p%40ss%3Aw%2Frd@db/x?sslmode=require', 'postgres://app:***@db/x?sslmode=require'],
    ['percent-encoded user', 'postgres://us%40er:pw@db/x', 'postgres://us%40er:***@db/x'],
    ['password with a colon', 'postgres://app:a:b:c@db/x', 'postgres://app:***@db/x'],
    ['mariadb scheme, upper case', 'MARIADB://root:pw@h/x', 'MARIADB://root:***@h/x'],
    ['sqlite path', 'sqlite:./migrator.db', 'sqlite:./migrator.db'],
    ['sqlite absolute', 'sqlite:///var/lib/app/app.db', 'sqlite:///var/lib/app/app.db'],
  ])('%s', (_name, input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  // Malformed: a password with reserved characters typed raw. Like WHATWG URL (and like the
  // registry's addUrl), the userinfo runs to the last '@'; no part of the password may be printed.
  it.each([
    ['a raw "@"', 'postgres://app:p@ssword9@db:5432/x', 'p@ssword9'],
    ['a raw "/"', 'postgres://app:pa/ssword9@db:5432/x', 'pa/ssword9'],
    ['a raw "#"', 'postgres://app:pa#ssword9@db:5432/x', 'pa#ssword9'],
    ['a raw "?"', 'postgres://app:pa?ssword9@db:5432/x', 'pa?ssword9'],
    ['the canary', `postgres://u:${CANARY}@127.0.0.1:5432/db`, CANARY],
  ])('malformed URL, password with %s: masked up to the last "@"', (_name, input, password) => {
    const redacted = redactUrl(input);
    expect(redacted).toBe(input.replace(`:${password}@`, ':***@'));
    expect(fragments(redacted, password, 4)).toEqual([]);
  });
});

describe('createSecretRegistry().scrub', () => {
  const registry = createSecretRegistry();
  registry.add(CANARY);

  const pinoLine = JSON.stringify({ level: 50, time: 1700000000000, pid: 42, msg: `authentication failed for ${CANARY}`, err: { message: CANARY, url: `postgres://app:${ENCODED}@db/x` } });
  const stack = (() => {
    const error = new Error(`password authentication failed: "${CANARY}"`);
    return error.stack ?? error.message;
  })();

  it.each([
    ['literal', CANARY],
    ['encodeURIComponent', ENCODED],
    ['lower-case hex percent-encoding', LOWER_HEX],
    ['mixed-case hex percent-encoding', MIXED_HEX],
    ['encodeURI', encodeURI(CANARY)],
    ['JSON.stringify, inner', jsonInner(CANARY)],
    ['JSON.stringify, whole', JSON.stringify(CANARY)],
    ['JSON of the encoded form', JSON.stringify(ENCODED)],
    ['JSON of JSON', JSON.stringify(JSON.stringify(CANARY))],
    ['in a sentence', `could not connect with password ${CANARY} to db:5432`],
    ['in a URL, encoded', `postgres://app:${ENCODED}@db:5432/x?sslmode=require`],
    ['in a URL, lower-case hex', `postgres://app:${LOWER_HEX}@db:5432/x`],
    ['in a pino JSON line', pinoLine],
    ['in a stack trace', stack],
    ['twice on one line', `${CANARY} and again ${CANARY}`],
    ['on several lines', `first\n${CANARY}\n  ${jsonInner(CANARY)}\n${ENCODED}\n`],
  ])('%s', (_name, text) => {
    const scrubbed = registry.scrub(text);
    expect(scrubbed).toContain('***');
    for (const form of [CANARY, ENCODED, LOWER_HEX, jsonInner(CANARY)]) expect(scrubbed).not.toContain(form);
    expect(fragments(scrubbed, CANARY)).toEqual([]);
    expect(fragments(scrubbed.toLowerCase(), ENCODED.toLowerCase())).toEqual([]);
  });

  it('keeps the text around a secret', () => {
    expect(registry.scrub(`before ${CANARY} after`)).toBe('before *** after');
    expect(registry.scrub(`{"msg":"x ${jsonInner(CANARY)} y"}`)).toBe('{"msg":"x *** y"}');
    expect(registry.scrub(pinoLine.replaceAll(jsonInner(CANARY), 'redacted').replaceAll(ENCODED, 'redacted'))).not.toContain('***');
  });

  it('leaves text without secrets alone, and scrubs nothing before anything is registered', () => {
    expect(registry.scrub('nothing to see: Cn4ry- p@ss')).toBe('nothing to see: Cn4ry- p@ss');
    expect(createSecretRegistry().scrub(CANARY)).toBe(CANARY);
  });

  it.each([
    ['empty', ''],
    ['one character', 'a'],
    ['three characters', 'pwd'],
    ['undefined', undefined],
  ])('ignores a secret that is %s', (_name, secret) => {
    const short = createSecretRegistry();
    short.add(secret);
    expect(short.scrub('a pwd is not a password, abc')).toBe('a pwd is not a password, abc');
  });

  it('registers a secret of exactly four characters', () => {
    const four = createSecretRegistry();
    four.add('k3y/');
    expect(four.scrub('the k3y/ is k3y%2F or k3y%2f')).toBe('the *** is *** or ***');
  });

  it('scrubs several secrets, the longest first when one contains another', () => {
    const several = createSecretRegistry();
    for (const secret of ['alpha-secret', 'alpha-secret-longer', 'b$&(eta)[x]', CANARY]) several.add(secret);
    several.add('alpha-secret'); // twice: no change
    expect(several.scrub('alpha-secret-longer / alpha-secret / b$&(eta)[x] / ' + ENCODED)).toBe('*** / *** / *** / ***');
  });

  it('treats regular-expression characters in a secret literally', () => {
    const special = createSecretRegistry();
    special.add('a.b*c+');
    expect(special.scrub('axbbbc a.b*c+')).toBe('axbbbc ***');
  });
});

describe('createSecretRegistry().addUrl', () => {
  it('a well-formed URL: the password is scrubbed raw (encoded) and decoded, and the URL as a whole', () => {
    const registry = createSecretRegistry();
    const url = `postgres://app:${ENCODED}@127.0.0.1:5432/db`;
    registry.addUrl(url);
    for (const text of [CANARY, ENCODED, LOWER_HEX, jsonInner(CANARY), url, `connecting to ${url}`]) {
      const scrubbed = registry.scrub(text);
      expect(fragments(scrubbed, CANARY)).toEqual([]);
      expect(scrubbed).not.toContain(ENCODED);
    }
    expect(registry.scrub(redactUrl(url))).toBe('postgres://app:***@127.0.0.1:5432/db');
  });

  it('a password given as a query parameter', () => {
    const registry = createSecretRegistry();
    registry.addUrl(`postgres://db:5432/x?user=app&password=${ENCODED}&sslmode=require`);
    expect(registry.scrub(`pw=${CANARY}`)).toBe('pw=***');
    expect(registry.scrub(`pw=${LOWER_HEX}`)).toBe('pw=***');
  });

  it('a URL without a password registers nothing (the user name and host stay readable)', () => {
    const registry = createSecretRegistry();
    registry.addUrl('postgres://app@db.internal:5432/orders');
    registry.addUrl('sqlite:./migrator.db');
    registry.addUrl(undefined);
    registry.addUrl('');
    expect(registry.scrub('app@db.internal:5432/orders sqlite:./migrator.db')).toBe('app@db.internal:5432/orders sqlite:./migrator.db');
  });

  describe('a MALFORMED URL with the raw canary (reserved characters not encoded)', () => {
    const url = `postgres://u:${CANARY}@127.0.0.1:5432/db`;
    const registry = createSecretRegistry();
    registry.addUrl(url);

    it.each([
      ['the URL itself', url],
      ['the URL in a message', `cannot connect to ${url}: timeout`],
      ['the URL in JSON', JSON.stringify({ url })],
      ['the password alone', CANARY],
      ['the password JSON-escaped', jsonInner(CANARY)],
      ['the password encoded', ENCODED],
      ['the URL as redactUrl prints it', redactUrl(url)],
      ['the URL in a message, as redactUrl prints it', `target: PostgreSQL ${redactUrl(url)}`],
    ])('%s: no 6-character piece of the canary survives', (_name, text) => {
      const scrubbed = registry.scrub(text);
      expect(scrubbed).not.toContain(CANARY);
      expect(fragments(scrubbed, CANARY)).toEqual([]);
    });
  });
});

describe('readPassword', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function workdir(files: Record<string, string> = {}): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'migrator-secrets-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    }
    return dir;
  }
  const ORIGIN = 'file migrator.config.yaml (environments.prod)';

  async function failure(source: PasswordSource, cwd: string, env: Record<string, string | undefined> = {}): Promise<MigratorError> {
    try {
      await readPassword(source, cwd, ORIGIN, env);
    } catch (error) {
      expect(error).toBeInstanceOf(MigratorError);
      expect((error as MigratorError).code).toBe('E_CONFIG');
      return error as MigratorError;
    }
    throw new Error('expected readPassword to fail');
  }

  /** Everything a user could be shown about the error. */
  const shown = (error: MigratorError): string => `${error.message}\n${error.hint ?? ''}\n${JSON.stringify(error.details)}\n${JSON.stringify(error.at ?? null)}`;

  it('a literal is returned as given (no trimming)', async () => {
    expect(await readPassword({ kind: 'literal', value: `${CANARY}\n` }, workdir(), ORIGIN, {})).toBe(`${CANARY}\n`);
  });

  it.each([
    ['a trailing newline trimmed', `${CANARY}\n`, CANARY],
    ['a trailing CRLF trimmed', `${CANARY}\r\n`, CANARY],
    ['no newline', CANARY, CANARY],
    ['only the last newline trimmed', 'line1\nline2\n', 'line1\nline2'],
    ['leading spaces kept', '  spaced  \n', '  spaced  '],
  ])('a file: %s', async (_name, content, expected) => {
    const cwd = workdir({ 'secrets/db.pw': content });
    expect(await readPassword({ kind: 'file', path: 'secrets/db.pw' }, cwd, ORIGIN, {})).toBe(expected);
    expect(await readPassword({ kind: 'file', path: path.join(cwd, 'secrets/db.pw') }, '/', ORIGIN, {})).toBe(expected);
  });

  it('a missing file: E_CONFIG naming the key, the layer and the path', async () => {
    const cwd = workdir({ 'secrets/other.pw': CANARY });
    const error = await failure({ kind: 'file', path: 'secrets/db.pw' }, cwd);
    expect(error.message).toContain(`password (set by ${ORIGIN})`);
    expect(error.message).toContain('secrets/db.pw');
    expect(error.message).toContain('ENOENT');
    expect(error.hint).toBeTruthy();
    expect(shown(error)).not.toContain(CANARY);
  });

  it('a directory instead of a file: E_CONFIG, nothing of what is inside', async () => {
    const cwd = workdir({ 'secrets/db.pw/inner': CANARY });
    const error = await failure({ kind: 'file', path: 'secrets/db.pw' }, cwd);
    expect(error.message).toContain('secrets/db.pw');
    expect(shown(error)).not.toContain(CANARY);
  });

  it.each([
    ['printf with a newline', `printf '%s\\n' "$SECRET_SOURCE"`, CANARY],
    ['echo', 'echo "$SECRET_SOURCE"', CANARY],
    ['printf without a newline', `printf '%s' "$SECRET_SOURCE"`, CANARY],
    ['a pipeline', `printf '%s\\n' "$SECRET_SOURCE" | cat`, CANARY],
    ['stderr noise is ignored', `echo progress >&2; printf '%s\\n' "$SECRET_SOURCE"`, CANARY],
  ])('a command: %s (the trailing newline trimmed)', async (_name, command, expected) => {
    expect(await readPassword({ kind: 'command', command, timeoutMs: 5000 }, workdir(), ORIGIN, { SECRET_SOURCE: CANARY, PATH: process.env['PATH'] })).toBe(expected);
  });

  it('a command runs in the working directory', async () => {
    const cwd = workdir({ 'pw.txt': 'from-cwd\n' });
    expect(await readPassword({ kind: 'command', command: 'cat pw.txt', timeoutMs: 5000 }, cwd, ORIGIN, { PATH: process.env['PATH'] })).toBe('from-cwd');
  });

  it('a command sees exactly the environment it is given', async () => {
    const env = { ONLY_HERE: 'given-value', PATH: process.env['PATH'] };
    expect(await readPassword({ kind: 'command', command: 'printenv ONLY_HERE', timeoutMs: 5000 }, workdir(), ORIGIN, env)).toBe('given-value');
    await failure({ kind: 'command', command: 'printenv NOT_GIVEN_ANYWHERE_X', timeoutMs: 5000 }, workdir(), env);
  });

  it('a command failing with exit 3 and the canary on stderr (and stdout): E_CONFIG that quotes neither', async () => {
    const command = `printf '%s\\n' "$SECRET_SOURCE"; printf 'vault: denied for %s\\n' "$SECRET_SOURCE" >&2; exit 3`;
    const error = await failure({ kind: 'command', command, timeoutMs: 5000 }, workdir(), { SECRET_SOURCE: CANARY });
    expect(error.message).toContain(`password (set by ${ORIGIN})`);
    expect(error.message).toContain('exit code 3');
    expect(error.message).not.toContain(CANARY);
    expect(error.hint).toBeTruthy();
    expect(error.hint).not.toContain(CANARY);
    expect(fragments(shown(error), CANARY)).toEqual([]);
    // Not through the cause chain either (--verbose prints it).
    let cause: unknown = error.cause;
    while (cause instanceof Error) {
      expect(fragments(`${cause.message}\n${cause.stack ?? ''}\n${JSON.stringify(cause)}`, CANARY)).toEqual([]);
      cause = cause.cause;
    }
  });

  it('a command that does not finish in time: E_CONFIG "did not finish", promptly', async () => {
    const started = Date.now();
    const error = await failure({ kind: 'command', command: 'sleep 5', timeoutMs: 200 }, workdir(), { PATH: process.env['PATH'] });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error.message).toContain(`password (set by ${ORIGIN})`);
    expect(error.message).toContain('did not finish');
    // The limit as configured, not rounded to a misleading "within 0s".
    expect(error.message).not.toMatch(/within 0s/);
    expect(error.hint).toContain('password.timeout');
  });

  it.each([
    ['no output', 'true'],
    ['only a newline', 'echo'],
    ['only stderr', `echo "$SECRET_SOURCE" >&2`],
  ])('a command with %s: E_CONFIG', async (_name, command) => {
    const error = await failure({ kind: 'command', command, timeoutMs: 5000 }, workdir(), { SECRET_SOURCE: CANARY });
    expect(error.message).toContain(`password (set by ${ORIGIN})`);
    expect(error.message).toContain('printed nothing');
    expect(shown(error)).not.toContain(CANARY);
  });

  it('a command that does not exist: E_CONFIG (exit 127)', async () => {
    const error = await failure({ kind: 'command', command: 'no-such-secret-manager-cli read x', timeoutMs: 5000 }, workdir(), { PATH: process.env['PATH'] });
    expect(error.message).toContain('exit code 127');
  });
});

/** Whether `pid` is a live process (Linux /proc). A zombie is dead: in some sandboxes PID 1 never reaps orphans. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('readPassword: a timed-out command', () => {
  it('ends the whole process group, not just the shell', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'migrator-pwgroup-'));
    try {
      // The shell stays (two commands), with a child of its own that would outlive it.
      const attempt = readPassword({ kind: 'command', command: 'sleep 30 & echo $! > child.pid; wait', timeoutMs: 300 }, dir, 'test', process.env);
      await expect(attempt).rejects.toMatchObject({ code: 'E_CONFIG', message: expect.stringContaining('did not finish within 300ms') });
      const child = Number(readFileSync(path.join(dir, 'child.pid'), 'utf8'));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(alive(child)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
