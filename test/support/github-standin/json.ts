import type { StandInState } from './state.js';
import type {
  RepoState,
  StandInDeployment,
  StandInEnvironment,
  StandInRelease,
  StandInRun,
  TagObject
} from './types.js';

export const web = 'https://github.com';

/** The JSON GitHub answers for each kind of object, with URLs pointing at the running stand-in. */
export function jsonBuilders(s: StandInState) {
  const api = (fullName: string, rest: string) => `${s.baseUrl}/repos/${fullName}${rest}`;

  const refJson = (fullName: string, r: RepoState, ref: string) => {
    const sha = r.refs.get(ref)!;
    const type = r.tagObjects.has(sha) ? 'tag' : 'commit';
    return {
      ref,
      node_id: Buffer.from(`ref:${ref}`).toString('base64'),
      url: api(fullName, `/git/${ref}`),
      object: { type, sha, url: api(fullName, `/git/${type === 'tag' ? 'tags' : 'commits'}/${sha}`) }
    };
  };
  const tagJson = (fullName: string, t: TagObject) => ({
    node_id: Buffer.from(`tag:${t.sha}`).toString('base64'),
    tag: t.tag,
    sha: t.sha,
    url: api(fullName, `/git/tags/${t.sha}`),
    message: t.message,
    tagger: t.tagger,
    object: { ...t.object, url: api(fullName, `/git/commits/${t.object.sha}`) },
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null }
  });
  const releaseJson = (fullName: string, rel: StandInRelease) => ({
    id: rel.id,
    node_id: Buffer.from(`release:${rel.id}`).toString('base64'),
    url: api(fullName, `/releases/${rel.id}`),
    html_url: rel.draft
      ? `${web}/${fullName}/releases/tag/untagged-${rel.id}`
      : `${web}/${fullName}/releases/tag/${encodeURIComponent(rel.tag_name)}`,
    assets_url: api(fullName, `/releases/${rel.id}/assets`),
    upload_url: `https://uploads.github.com/repos/${fullName}/releases/${rel.id}/assets{?name,label}`,
    tarball_url: api(fullName, `/tarball/${rel.tag_name}`),
    zipball_url: api(fullName, `/zipball/${rel.tag_name}`),
    tag_name: rel.tag_name,
    target_commitish: rel.target_commitish,
    name: rel.name,
    body: rel.body,
    draft: rel.draft,
    prerelease: rel.prerelease,
    created_at: rel.created_at,
    published_at: rel.published_at,
    author: userJson('github-actions[bot]', 41898282),
    assets: []
  });
  const userJson = (login: string, id: number) => {
    const bot = login.endsWith('[bot]');
    const api = `${s.baseUrl}/users/${encodeURIComponent(login)}`;
    return {
      login,
      id,
      node_id: Buffer.from(`user:${id}`).toString('base64'),
      avatar_url: `https://avatars.githubusercontent.com/u/${id}`,
      gravatar_id: '',
      url: api,
      html_url: bot ? `${web}/apps/${login.replace('[bot]', '')}` : `${web}/${login}`,
      followers_url: `${api}/followers`,
      following_url: `${api}/following{/other_user}`,
      gists_url: `${api}/gists{/gist_id}`,
      starred_url: `${api}/starred{/owner}{/repo}`,
      subscriptions_url: `${api}/subscriptions`,
      organizations_url: `${api}/orgs`,
      repos_url: `${api}/repos`,
      events_url: `${api}/events{/privacy}`,
      received_events_url: `${api}/received_events`,
      type: bot ? 'Bot' : 'User',
      site_admin: false
    };
  };
  const envJson = (fullName: string, e: StandInEnvironment) => {
    const rules: unknown[] = [];
    if (e.wait_timer > 0)
      rules.push({ id: e.id * 10 + 1, node_id: 'w', type: 'wait_timer', wait_timer: e.wait_timer });
    if (e.reviewers.length)
      rules.push({
        id: e.id * 10 + 2,
        node_id: 'r',
        type: 'required_reviewers',
        prevent_self_review: e.prevent_self_review,
        reviewers: e.reviewers.map((rv) => ({
          type: rv.type,
          reviewer:
            rv.type === 'User'
              ? userJson([...s.users].find(([, id]) => id === rv.id)?.[0] ?? `user${rv.id}`, rv.id)
              : {
                  id: rv.id,
                  slug: [...s.teams].find(([, id]) => id === rv.id)?.[0].split('/')[1] ?? `team${rv.id}`
                }
        }))
      });
    if (e.deployment_branch_policy) rules.push({ id: e.id * 10 + 3, node_id: 'b', type: 'branch_policy' });
    return {
      id: e.id,
      node_id: Buffer.from(`env:${e.id}`).toString('base64'),
      name: e.name,
      url: api(fullName, `/environments/${encodeURIComponent(e.name)}`),
      html_url: `${web}/${fullName}/deployments/activity_log?environments_filter=${encodeURIComponent(e.name)}`,
      created_at: e.created_at,
      updated_at: e.updated_at,
      protection_rules: rules,
      deployment_branch_policy: e.deployment_branch_policy
    };
  };
  const repoJson = (fullName: string) => {
    const [owner = '', name = ''] = fullName.split('/');
    const url = `${s.baseUrl}/repos/${fullName}`;
    const templated: Record<string, string> = {
      archive_url: '/{archive_format}{/ref}',
      assignees_url: '/assignees{/user}',
      blobs_url: '/git/blobs{/sha}',
      branches_url: '/branches{/branch}',
      collaborators_url: '/collaborators{/collaborator}',
      comments_url: '/comments{/number}',
      commits_url: '/commits{/sha}',
      compare_url: '/compare/{base}...{head}',
      contents_url: '/contents/{+path}',
      git_commits_url: '/git/commits{/sha}',
      git_refs_url: '/git/refs{/sha}',
      git_tags_url: '/git/tags{/sha}',
      issue_comment_url: '/issues/comments{/number}',
      issue_events_url: '/issues/events{/number}',
      issues_url: '/issues{/number}',
      keys_url: '/keys{/key_id}',
      labels_url: '/labels{/name}',
      milestones_url: '/milestones{/number}',
      notifications_url: '/notifications{?since,all,participating}',
      pulls_url: '/pulls{/number}',
      releases_url: '/releases{/id}',
      statuses_url: '/statuses/{sha}',
      trees_url: '/git/trees{/sha}'
    };
    const plain = [
      'contributors',
      'deployments',
      'downloads',
      'events',
      'forks',
      'hooks',
      'languages',
      'merges',
      'stargazers',
      'subscribers',
      'subscription',
      'tags',
      'teams'
    ];
    return {
      id: 1000 + fullName.length,
      node_id: Buffer.from(`repo:${fullName}`).toString('base64'),
      name,
      full_name: fullName,
      owner: userJson(owner, 9000 + owner.length),
      private: false,
      html_url: `${web}/${fullName}`,
      description: null,
      fork: false,
      url,
      ...Object.fromEntries(Object.entries(templated).map(([k, v]) => [k, url + v])),
      ...Object.fromEntries(plain.map((k) => [`${k}_url`, `${url}/${k}`]))
    };
  };
  const runJson = (fullName: string, id: number, run: StandInRun) => {
    const url = api(fullName, `/actions/runs/${id}`);
    return {
      id,
      node_id: Buffer.from(`run:${id}`).toString('base64'),
      name: 'deploy',
      head_branch: 'main',
      head_sha: '0123456789abcdef0123456789abcdef01234567',
      path: '.github/workflows/deploy.yml',
      display_title: 'deploy',
      run_number: id,
      run_attempt: run.run_attempt,
      event: 'push',
      status: run.status,
      conclusion: run.conclusion,
      workflow_id: 1,
      url,
      html_url: `${web}/${fullName}/actions/runs/${id}`,
      pull_requests: [],
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
      jobs_url: `${url}/jobs`,
      logs_url: `${url}/logs`,
      check_suite_url: api(fullName, `/check-suites/${id}`),
      artifacts_url: `${url}/artifacts`,
      cancel_url: `${url}/cancel`,
      rerun_url: `${url}/rerun`,
      workflow_url: api(fullName, '/actions/workflows/1'),
      head_commit: null,
      repository: repoJson(fullName),
      head_repository: repoJson(fullName)
    };
  };
  const deploymentJson = (fullName: string, d: StandInDeployment) => ({
    id: d.id,
    node_id: Buffer.from(`dep:${d.id}`).toString('base64'),
    url: api(fullName, `/deployments/${d.id}`),
    sha: d.sha,
    ref: d.ref,
    task: d.task,
    payload: d.payload,
    original_environment: d.environment,
    environment: d.environment,
    description: d.description,
    creator: userJson('github-actions[bot]', 41898282),
    created_at: d.created_at,
    updated_at: d.statuses[d.statuses.length - 1]?.created_at ?? d.created_at,
    statuses_url: api(fullName, `/deployments/${d.id}/statuses`),
    repository_url: api(fullName, ''),
    transient_environment: d.transient_environment,
    production_environment: d.production_environment
  });
  const statusJson = (fullName: string, d: StandInDeployment, s: StandInDeployment['statuses'][number]) => ({
    id: s.id,
    node_id: Buffer.from(`status:${s.id}`).toString('base64'),
    url: api(fullName, `/deployments/${d.id}/statuses/${s.id}`),
    state: s.state,
    creator: userJson('github-actions[bot]', 41898282),
    description: s.description,
    environment: d.environment,
    target_url: s.log_url,
    environment_url: s.environment_url,
    log_url: s.log_url,
    created_at: s.created_at,
    updated_at: s.created_at,
    deployment_url: api(fullName, `/deployments/${d.id}`),
    repository_url: api(fullName, '')
  });
  return { refJson, tagJson, releaseJson, userJson, envJson, repoJson, runJson, deploymentJson, statusJson };
}
