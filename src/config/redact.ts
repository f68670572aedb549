/**
 * Redaction. URLs print as `scheme://user:***@host:port/db`; and one registry of the actual secret
 * values (passwords from URLs, files, commands, variables) scrubs everything the process prints:
 * each secret in its literal, URL-encoded and JSON-escaped forms becomes `***`.
 */

/**
 * The URL with any password replaced by `***`. The password runs from the user's `:` to the LAST
 * `@`, as in `addUrl`: an unencoded `@`, `/`, `?` or `#` in it must not leave a piece visible.
 */
export function redactUrl(url: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^:@/?#]*):(.*)@([^@]*)$/is.exec(url);
  const masked = match ? `${match[1]}${match[2]}:***@${match[4]}` : url;
  // To the next `&`, not `#`: an unencoded `#` in the value is still the value.
  return masked.replace(/([?&](?:password|pass|pwd)=)[^&]*/gi, '$1***');
}

export interface SecretRegistry {
  /** Registers a secret value (ignored when empty or shorter than 4 characters). */
  add(secret: string | undefined): void;
  /** Registers the password of a connection URL, even a malformed one. */
  addUrl(url: string | undefined): void;
  /** `text` with every registered secret, in every form, replaced by `***`. */
  scrub(text: string): string;
}

const MIN_LENGTH = 4;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A pattern for `text` in which percent escapes match in either case (%2f and %2F). */
function pattern(text: string): string {
  return escapeRegExp(text).replace(/%([0-9A-F])([0-9A-F])/g, (_m, a: string, b: string) => `%[${a}${a.toLowerCase()}][${b}${b.toLowerCase()}]`);
}

function forms(secret: string): string[] {
  const json = (s: string): string => JSON.stringify(s).slice(1, -1);
  const encoded = encodeURIComponent(secret);
  const all = [secret, encoded, json(secret), json(encoded), encodeURI(secret), json(json(secret))];
  return [...new Set(all)].filter((form) => form.length >= MIN_LENGTH);
}

/** The password part of `scheme://user:password@host`, matched up to the last `@` (a malformed URL may hold `@`, `/`, `#`). */
function urlPasswords(url: string): string[] {
  const found: string[] = [];
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/[^:@/]*:(.*)@[^@]*$/is.exec(url.trim());
  if (userinfo?.[1]) found.push(userinfo[1]);
  for (const match of url.matchAll(/[?&](?:password|pass|pwd)=([^&]*)/gi)) if (match[1]) found.push(match[1]);
  return found.flatMap((raw) => {
    try {
      return [raw, decodeURIComponent(raw)];
    } catch {
      return [raw];
    }
  });
}

export function createSecretRegistry(): SecretRegistry {
  const secrets = new Set<string>();
  let regex: RegExp | undefined;
  const add = (secret: string | undefined): void => {
    if (secret === undefined || secret.length < MIN_LENGTH || secrets.has(secret)) return;
    secrets.add(secret);
    const all = [...secrets].flatMap(forms).sort((a, b) => b.length - a.length);
    regex = new RegExp(all.map(pattern).join('|'), 'g');
  };
  return {
    add,
    addUrl(url) {
      if (!url) return;
      const passwords = urlPasswords(url);
      for (const password of passwords) add(password);
      // A URL whose password could not be told apart reliably is a secret as a whole.
      if (passwords.length > 0) add(url);
    },
    scrub: (text) => (regex === undefined ? text : text.replace(regex, '***')),
  };
}
