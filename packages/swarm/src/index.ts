export * from './argv.js';
export { swarmStackFile, type StackFile, type StackSource } from './stackfile.js';
export {
  judgeService,
  judgeStack,
  type JudgeOptions,
  type ServiceVerdict,
  type StackVerdict,
  type SwarmService,
  type SwarmTask
} from './converge.js';
export {
  assertManager,
  deployStack,
  readStack,
  rollbackStack,
  waitForConvergence,
  type ConvergeResult,
  type RegistryAuth,
  type StackDeployResult,
  type StackState,
  type SwarmTarget,
  type WaitOptions
} from './stack.js';
