/**
 * Redaction of connection URLs: whatever the URL, a password never reaches a message.
 * `postgres://app:s3cret@db:5432/prod` prints as `postgres://app:***@db:5432/prod`.
 */

/** The URL with any password replaced by `***`; unparseable input has its userinfo masked. */
export function redactUrl(url: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*)@/i.exec(url);
  if (!match) return url;
  const userinfo = match[2] ?? '';
  const colon = userinfo.indexOf(':');
  const user = colon === -1 ? userinfo : userinfo.slice(0, colon);
  const masked = colon === -1 ? user : `${user}:***`;
  return `${match[1]}${masked}@${url.slice(match[0].length)}`;
}
