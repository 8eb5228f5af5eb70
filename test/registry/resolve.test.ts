import { captureLogger, LocalExecutor } from '../../packages/core/src/index.js';
import { dockerCli } from '../../packages/docker/src/index.js';
import { publish } from '../../packages/registry/src/index.js';
import { integration } from '../support/infra.js';
import { clientFor, pushRandomImage, registries, startProxy, unique, type Proxy } from './support.js';

/**
 * publish-registry with a `source` and no `targets` resolves the source and outputs its digest, writing
 * nothing (promote.yml reads the source environment's tag this way, issue 29 item 9).
 */
integration('publish: a source with no targets only resolves it', () => {
  const { r1 } = registries();
  let proxy: Proxy;
  afterAll(async () => proxy?.close());

  it('outputs the digest the tag names and sends no write to the registry', async () => {
    proxy = await startProxy(r1.host, 18231);
    const repo = unique('workflows/resolve');
    const image = await pushRandomImage(
      clientFor(r1.host, r1.username, r1.password),
      repo,
      'staging',
      [1000]
    );
    const logger = captureLogger();
    const r = await publish(
      {
        registry: proxy.host,
        username: r1.username,
        password: r1.password,
        source: `${proxy.host}/${repo}:staging`,
        targets: [],
        tags: [],
        dockerLogin: false,
        retries: 0
      },
      { executor: new LocalExecutor(), logger, docker: dockerCli }
    );
    expect(r.digest).toBe(image.digest);
    expect(r.refs).toEqual([]);
    expect(r.manifestsPut).toBe(0);
    expect(proxy.log.filter((e) => !['GET', 'HEAD'].includes(e.method))).toEqual([]);
    expect(logger.text()).toMatch(/nothing written/);
  });
});
