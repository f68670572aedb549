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

/** The web page of the CI job running this, where the CI system tells it; `undefined` elsewhere. */
export function resolveCiJobUrl(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const all = (...names: string[]): string[] | undefined => {
    const values = names.map((name) => env[name]);
    return values.every((value): value is string => value !== undefined && value !== '') ? values : undefined;
  };
  const github = all('GITHUB_SERVER_URL', 'GITHUB_REPOSITORY', 'GITHUB_RUN_ID');
  if (github) return `${github[0]}/${github[1]}/actions/runs/${github[2]}${env['GITHUB_RUN_ATTEMPT'] ? `/attempts/${env['GITHUB_RUN_ATTEMPT']}` : ''}`;
  for (const name of ['CI_JOB_URL', 'CIRCLE_BUILD_URL', 'BUILDKITE_BUILD_URL', 'BUILD_URL']) {
    const value = env[name];
    if (value) return value;
  }
  const azure = all('SYSTEM_COLLECTIONURI', 'SYSTEM_TEAMPROJECT', 'BUILD_BUILDID');
  if (azure) return `${azure[0]}${azure[1]}/_build/results?buildId=${azure[2]}`;
  const bitbucket = all('BITBUCKET_REPO_FULL_NAME', 'BITBUCKET_BUILD_NUMBER');
  if (bitbucket) return `https://bitbucket.org/${bitbucket[0]}/pipelines/results/${bitbucket[1]}`;
  return undefined;
}
