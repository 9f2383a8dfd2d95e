/**
 * Exit codes and one-line messages, following docker run's convention so a
 * learner can tell who failed: 125 the container could not be set up, 126
 * the command cannot be run, 127 it was not found; otherwise the command's
 * own status, or 128 + the signal that killed it.
 */
import { isSyscallError } from '../kernel/index.ts';

export const EXIT_SETUP_FAILED = 125;
export const EXIT_COMMAND_NOT_EXECUTABLE = 126;
export const EXIT_COMMAND_NOT_FOUND = 127;

/** Bad input on the command line: reported as one line, before anything is created. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function describeError(error: unknown): string {
  if (isSyscallError(error)) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
