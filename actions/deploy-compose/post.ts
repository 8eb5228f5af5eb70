import { runEntry } from '../common/entry.js';
import {
  readConnection,
  releaseLeftLocks,
  sshConnector,
  type HeldLockRef
} from '../../packages/deploy/src/index.js';

// Runs after the main step, always: releases a host lock the main step took and could not release because
// the run was cancelled or killed, so the next deploy does not find it stale. Nothing else is changed.
await runEntry(async ({ inputs, logger, context, getState, secret }) => {
  const locks = JSON.parse(getState('locks') || '{}') as Record<string, HeldLockRef>;
  if (Object.keys(locks).length === 0) return;
  secret(inputs.raw('ssh-key'));
  for (const line of inputs.raw('ssh-key').split(/\r?\n/)) if (line.trim().length >= 8) secret(line.trim());
  await releaseLeftLocks(locks, { logger, context, connect: sshConnector(readConnection(inputs), logger) });
});
