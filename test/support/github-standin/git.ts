import { createHash } from 'node:crypto';
import {
  answer,
  type Handler,
  notFound,
  objectExists,
  page,
  type StandInState,
  validationFailed
} from './state.js';
import { jsonBuilders } from './json.js';
import type { TagObject, StandInRelease } from './types.js';

export function gitHandlers(s: StandInState): Record<string, Handler> {
  const { refJson, tagJson, releaseJson } = jsonBuilders(s);
  return {
    // ---- git refs and tag objects
    'GET /repos/{owner}/{repo}/git/ref/{ref}': ({ repo, fullName, params }) => {
      const ref = `refs/${params.ref}`;
      return repo.refs.has(ref) ? answer(200, refJson(fullName, repo, ref)) : notFound();
    },
    'GET /repos/{owner}/{repo}/git/matching-refs/{ref}': ({ repo, fullName, params }) =>
      answer(
        200,
        [...repo.refs.keys()]
          .filter((r) => r.startsWith(`refs/${params.ref}`))
          .sort()
          .map((r) => refJson(fullName, repo, r))
      ),
    'POST /repos/{owner}/{repo}/git/refs': ({ repo, fullName, body }) => {
      const ref = String(body.ref);
      const sha = String(body.sha);
      if (!/^refs\/[^/]+\/.+/.test(ref)) return validationFailed('Reference name is invalid');
      if (repo.refs.has(ref)) return validationFailed('Reference already exists');
      if (!objectExists(repo, sha)) return validationFailed('Object does not exist');
      repo.refs.set(ref, sha);
      return answer(201, refJson(fullName, repo, ref));
    },
    'PATCH /repos/{owner}/{repo}/git/refs/{ref}': ({ repo, fullName, params, body }) => {
      const ref = `refs/${params.ref}`;
      const sha = String(body.sha);
      if (!repo.refs.has(ref)) return validationFailed('Reference does not exist');
      if (!objectExists(repo, sha)) return validationFailed('Object does not exist');
      // The stand-in does not know ancestry: any move without force counts as not a fast-forward.
      if (body.force !== true && repo.refs.get(ref) !== sha)
        return validationFailed('Update is not a fast forward');
      repo.refs.set(ref, sha);
      return answer(200, refJson(fullName, repo, ref));
    },
    'DELETE /repos/{owner}/{repo}/git/refs/{ref}': ({ repo, params }) => {
      const ref = `refs/${params.ref}`;
      if (!repo.refs.delete(ref)) return validationFailed('Reference does not exist');
      return answer(204);
    },
    'POST /repos/{owner}/{repo}/git/tags': ({ repo, fullName, body }) => {
      const object = String(body.object);
      if (!objectExists(repo, object)) return validationFailed('Object does not exist');
      const tagger = (body.tagger as { name: string; email: string; date?: string } | undefined) ?? {
        name: 'github-actions[bot]',
        email: '41898282+github-actions[bot]@s.users.noreply.github.com'
      };
      const t: TagObject = {
        sha: '',
        tag: String(body.tag),
        message: String(body.message),
        object: { sha: object, type: String(body.type) },
        tagger: { name: tagger.name, email: tagger.email, date: tagger.date ?? s.now() }
      };
      t.sha = createHash('sha1').update(JSON.stringify(t)).update(String(s.nextId++)).digest('hex');
      repo.tagObjects.set(t.sha, t);
      return answer(201, tagJson(fullName, t));
    },
    'GET /repos/{owner}/{repo}/git/tags/{tag_sha}': ({ repo, fullName, params }) => {
      const t = repo.tagObjects.get(params.tag_sha ?? '');
      return t ? answer(200, tagJson(fullName, t)) : notFound();
    },
    // ---- releases
    'POST /repos/{owner}/{repo}/releases': ({ repo, fullName, body }) => {
      const tag = String(body.tag_name);
      if (repo.releases.some((r) => r.tag_name === tag))
        return validationFailed('Validation Failed', [
          { resource: 'Release', code: 'already_exists', field: 'tag_name' }
        ]);
      const draft = body.draft === true;
      if (!draft && !repo.refs.has(`refs/tags/${tag}`)) {
        const target = String(body.target_commitish ?? '');
        const sha = repo.refs.get(`refs/heads/${target}`) ?? target;
        if (!objectExists(repo, sha))
          return validationFailed('Validation Failed', [
            { resource: 'Release', code: 'invalid', field: 'target_commitish' }
          ]);
        repo.refs.set(`refs/tags/${tag}`, sha);
      }
      const created = s.now();
      const rel: StandInRelease = {
        id: s.nextId++,
        tag_name: tag,
        target_commitish: String(body.target_commitish ?? 'main'),
        name: (body.name as string | undefined) ?? tag,
        body: (body.body as string | undefined) ?? null,
        draft,
        prerelease: body.prerelease === true,
        make_latest: String(body.make_latest ?? 'true'),
        created_at: created,
        published_at: draft ? null : created
      };
      repo.releases.push(rel);
      return answer(201, releaseJson(fullName, rel));
    },
    'GET /repos/{owner}/{repo}/releases': ({ repo, fullName, query }) =>
      answer(
        200,
        page([...repo.releases].reverse(), query).map((r) => releaseJson(fullName, r))
      ),
    'GET /repos/{owner}/{repo}/releases/latest': ({ repo, fullName }) => {
      const latest = [...repo.releases]
        .reverse()
        .find((r) => !r.draft && !r.prerelease && r.make_latest !== 'false');
      return latest ? answer(200, releaseJson(fullName, latest)) : notFound();
    },
    'GET /repos/{owner}/{repo}/releases/tags/{tag}': ({ repo, fullName, params }) => {
      const rel = repo.releases.find((r) => r.tag_name === params.tag && !r.draft);
      return rel ? answer(200, releaseJson(fullName, rel)) : notFound();
    },
    'GET /repos/{owner}/{repo}/releases/{release_id}': ({ repo, fullName, params }) => {
      const rel = repo.releases.find((r) => r.id === Number(params.release_id));
      return rel ? answer(200, releaseJson(fullName, rel)) : notFound();
    },
    'PATCH /repos/{owner}/{repo}/releases/{release_id}': ({ repo, fullName, params, body }) => {
      const rel = repo.releases.find((r) => r.id === Number(params.release_id));
      if (!rel) return notFound();
      for (const k of ['tag_name', 'name', 'body', 'target_commitish', 'make_latest'] as const)
        if (typeof body[k] === 'string') (rel as unknown as Record<string, unknown>)[k] = body[k];
      if (typeof body.prerelease === 'boolean') rel.prerelease = body.prerelease;
      if (typeof body.draft === 'boolean') {
        if (rel.draft && !body.draft) rel.published_at = s.now();
        rel.draft = body.draft;
      }
      return answer(200, releaseJson(fullName, rel));
    },
    'DELETE /repos/{owner}/{repo}/releases/{release_id}': ({ repo, params }) => {
      const i = repo.releases.findIndex((r) => r.id === Number(params.release_id));
      if (i < 0) return notFound();
      repo.releases.splice(i, 1);
      return answer(204);
    }
  };
}
