import { answer, type Handler, notFound, type StandInState } from './state.js';
import { jsonBuilders, web } from './json.js';

export function userHandlers(s: StandInState): Record<string, Handler> {
  const { userJson } = jsonBuilders(s);
  return {
    // ---- users and teams
    'GET /users/{username}': ({ params }) => {
      const id = s.users.get(params.username!);
      if (id === undefined) return notFound();
      return answer(200, {
        ...userJson(params.username!, id),
        name: params.username,
        company: null,
        blog: '',
        location: null,
        email: null,
        hireable: null,
        bio: null,
        public_repos: 0,
        public_gists: 0,
        followers: 0,
        following: 0,
        created_at: '2020-01-01T00:00:00Z',
        updated_at: '2020-01-01T00:00:00Z'
      });
    },
    'GET /orgs/{org}/teams/{team_slug}': ({ params }) => {
      const id = s.teams.get(`${params.org}/${params.team_slug}`);
      if (id === undefined) return notFound();
      const org = `${s.baseUrl}/orgs/${params.org}`;
      const teamUrl = `${s.baseUrl}/organizations/1/team/${id}`;
      return answer(200, {
        id,
        node_id: Buffer.from(`team:${id}`).toString('base64'),
        url: teamUrl,
        html_url: `${web}/orgs/${params.org}/teams/${params.team_slug}`,
        name: params.team_slug,
        slug: params.team_slug,
        description: null,
        privacy: 'closed',
        permission: 'pull',
        members_url: `${teamUrl}/members{/member}`,
        repositories_url: `${teamUrl}/repos`,
        type: 'organization',
        parent: null,
        members_count: 1,
        repos_count: 1,
        created_at: '2020-01-01T00:00:00Z',
        updated_at: '2020-01-01T00:00:00Z',
        organization: {
          login: params.org,
          id: 1,
          node_id: Buffer.from('org:1').toString('base64'),
          url: org,
          repos_url: `${org}/repos`,
          events_url: `${org}/events`,
          hooks_url: `${org}/hooks`,
          issues_url: `${org}/issues`,
          members_url: `${org}/members{/member}`,
          public_members_url: `${org}/public_members{/member}`,
          avatar_url: 'https://avatars.githubusercontent.com/u/1',
          description: null,
          html_url: `${web}/${params.org}`,
          has_organization_projects: true,
          has_repository_projects: true,
          public_repos: 1,
          public_gists: 0,
          followers: 0,
          following: 0,
          type: 'Organization',
          created_at: '2020-01-01T00:00:00Z',
          updated_at: '2020-01-01T00:00:00Z',
          archived_at: null
        }
      });
    }
  };
}
