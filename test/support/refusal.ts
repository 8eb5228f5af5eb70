import { InputError } from '../../packages/core/src/index.js';

/** The InputError that `fn` throws; anything else it throws is rethrown, and throwing nothing fails the test. */
export function refusal(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}
