import { describe, expect, it } from 'vitest';
import { authorize, roleOf, type PolicyInput } from '../../src/core/policy.js';
import { resolveActor, resolveCiJobUrl } from '../../src/config/actor.js';

const base: PolicyInput = { command: 'up', dryRun: false, actor: 'alice', environment: 'prod', protected: false, rollback: 'enabled', roles: undefined, confirm: undefined };
const roles = { admin: ['alice'], deployer: ['github:*', 'deploy-bot'], reader: ['*'] };

describe('authorize', () => {
  it.each<[string, Partial<PolicyInput>, string | undefined]>([
    ['no roles configured: everything allowed', { command: 'down' }, undefined],
    ['admin may go down', { command: 'down', roles }, undefined],
    ['a deployer by pattern may go up', { actor: 'github:octocat', roles }, undefined],
    ['a deployer may not go down', { command: 'down', actor: 'deploy-bot', roles }, 'needs the admin role, and deploy-bot has deployer'],
    ['a reader may not go up', { actor: 'bob', roles }, 'needs the deployer role, and bob has reader'],
    ['a reader may dry-run up', { actor: 'bob', roles, dryRun: true }, undefined],
    ['a reader may read status', { command: 'status', actor: 'bob', roles }, undefined],
    ['nobody listed: no role at all', { actor: 'eve', roles: { admin: ['alice'] }, command: 'status' }, 'needs the reader role, and eve has no role'],
    ['rollback disabled refuses down', { command: 'down', rollback: 'disabled' }, '"down" is disabled in prod (rollback: disabled)'],
    ['rollback disabled allows down --dry-run', { command: 'down', rollback: 'disabled', dryRun: true }, undefined],
    ['protected: down needs --confirm', { command: 'down', protected: true }, 'prod is a protected environment: "down" needs --confirm prod'],
    ['protected: a wrong --confirm is refused', { command: 'repair', protected: true, confirm: 'staging' }, 'needs --confirm prod (got --confirm staging)'],
    ['protected: the right --confirm alone is not enough: a --reason is required', { command: 'baseline', protected: true, confirm: 'prod' }, 'prod is a protected environment: "baseline" needs --reason "<why>"'],
    ['protected: a blank --reason is refused', { command: 'unlock', protected: true, confirm: 'prod', reason: '  ' }, 'needs --reason'],
    ['protected: the right --confirm with a --reason passes', { command: 'baseline', protected: true, confirm: 'prod', reason: 'INC-42 adopt legacy schema' }, undefined],
    ['unprotected: no --reason needed', { command: 'down', protected: false }, undefined],
    ['protected: up needs no confirmation', { command: 'up', protected: true }, undefined],
    ['a reader may validate, but not rehearse (it runs the migrations\' DDL)', { command: 'rehearse', roles: { reader: ['alice'] } }, 'alice may not run "rehearse" in prod: it needs the deployer role, and alice has reader'],
    ['protected: down --dry-run needs no confirmation', { command: 'down', protected: true, dryRun: true }, undefined],
  ])('%s', (_name, input, refusal) => {
    const attempt = () => authorize({ ...base, ...input });
    if (refusal === undefined) expect(attempt).not.toThrow();
    else expect(attempt).toThrow(expect.objectContaining({ code: 'E_NOT_PERMITTED', message: expect.stringContaining(refusal) }));
  });

  it('gives the highest role that lists the actor', () => {
    expect(roleOf('alice', { reader: ['*'], admin: ['alice'] })).toBe('admin');
    expect(roleOf('github:x', { deployer: ['github:*'] })).toBe('deployer');
    expect(roleOf('github.x', { deployer: ['github:*'] })).toBeUndefined();
  });
});

describe('resolveActor', () => {
  it.each([
    ['--actor / MIGRATOR_ACTOR first', 'ops-1', { GITHUB_ACTOR: 'octocat' }, 'ops-1'],
    ['then the CI identity', undefined, { GITHUB_ACTOR: 'octocat' }, 'github:octocat'],
    ['GitLab', undefined, { GITLAB_USER_LOGIN: 'jane' }, 'gitlab:jane'],
  ])('%s', (_name, configured, env, expected) => {
    expect(resolveActor(configured, env)).toBe(expected);
  });

  it('falls back to the OS user', () => {
    expect(resolveActor(undefined, {})).not.toBe('');
  });
});

describe('resolveCiJobUrl', () => {
  it.each([
    ['GitHub Actions, with the attempt', { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/shop', GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '2' }, 'https://github.com/acme/shop/actions/runs/42/attempts/2'],
    ['GitLab CI', { CI_JOB_URL: 'https://gitlab.com/acme/shop/-/jobs/7' }, 'https://gitlab.com/acme/shop/-/jobs/7'],
    ['CircleCI', { CIRCLE_BUILD_URL: 'https://circleci.com/gh/acme/shop/9' }, 'https://circleci.com/gh/acme/shop/9'],
    ['Jenkins', { BUILD_URL: 'https://ci.acme.dev/job/shop/12/' }, 'https://ci.acme.dev/job/shop/12/'],
    ['Azure Pipelines', { SYSTEM_COLLECTIONURI: 'https://dev.azure.com/acme/', SYSTEM_TEAMPROJECT: 'shop', BUILD_BUILDID: '5' }, 'https://dev.azure.com/acme/shop/_build/results?buildId=5'],
    ['Bitbucket Pipelines', { BITBUCKET_REPO_FULL_NAME: 'acme/shop', BITBUCKET_BUILD_NUMBER: '3' }, 'https://bitbucket.org/acme/shop/pipelines/results/3'],
    ['GitHub without the run id', { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/shop' }, undefined],
    ['no CI', {}, undefined],
  ])('%s', (_name, env, expected) => {
    expect(resolveCiJobUrl(env)).toBe(expected);
  });
});
