/**
 * Who is running migrator, for history, audit and roles: `--actor` / `MIGRATOR_ACTOR`, else the CI
 * system's identity of whoever triggered the job (`github:octocat`), else the OS user.
 */
import os from 'node:os';

const CI_IDENTITIES: ReadonlyArray<readonly [variable: string, prefix: string]> = [
  ['GITHUB_ACTOR', 'github'],
  ['GITLAB_USER_LOGIN', 'gitlab'],
  ['CIRCLE_USERNAME', 'circleci'],
  ['BUILDKITE_BUILD_CREATOR', 'buildkite'],
  ['BUILD_REQUESTEDFOR', 'azure'],
  ['BITBUCKET_STEP_TRIGGERER_UUID', 'bitbucket'],
];

function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** The actor of this run. */
export function resolveActor(configured: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  if (configured) return configured;
  for (const [variable, prefix] of CI_IDENTITIES) {
    const value = env[variable];
    if (value) return `${prefix}:${value}`;
  }
  return osUser();
}
