import { runEntry } from '../common/entry.js';
import { LocalExecutor } from '../../packages/core/src/index.js';
import { dockerCli } from '../../packages/docker/src/index.js';
import { logoutAll } from '../../packages/registry/src/index.js';

await runEntry(async ({ logger, getState }) => {
  await logoutAll(getState('logout-registries'), {
    executor: new LocalExecutor(),
    logger,
    docker: dockerCli
  });
});
