import { DeployActionsError, type ErrorDetails } from '../../core/src/index.js';

/** anonymize-data refused or failed to copy; `state` says what the target holds now. */
export class AnonymizeError extends DeployActionsError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('anonymize', message, details);
  }
}
