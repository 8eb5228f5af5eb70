import { runEntry } from '../common/entry.js';
import {
  readConnection,
  releaseLeftLocks,
  sshConnector,
  type HeldLockRef
} from '../../packages/deploy/src/index.js';
import { SshExecutor } from '../../packages/ssh/src/index.js';

// Runs after the main step, always. When the main step was cancelled or killed, it releases the host locks
// it still held (same token only) and ends the SSH master it left, removing the key with it. Nothing else
// changes on the hosts.
await runEntry(async ({ inputs, logger, context, getState, secret }) => {
  const locks = JSON.parse(getState('locks') || '{}') as Record<string, HeldLockRef>;
  const dirs = JSON.parse(getState('ssh-dirs') || '[]') as string[];
  if (Object.keys(locks).length > 0) {
    secret(inputs.raw('ssh-key'));
    for (const line of inputs.raw('ssh-key').split(/\r?\n/)) if (line.trim().length >= 8) secret(line.trim());
    const connect = sshConnector(readConnection(inputs), logger, { tempRoot: process.env.RUNNER_TEMP });
    await releaseLeftLocks(locks, { logger, context, connect });
  }
  for (const dir of dirs)
    if (await SshExecutor.cleanupLeftover(dir))
      logger.info(`ended the SSH connection the main step left open`);
});
