/**
 * Registry credentials: `npm run pull -- --creds USER:PASSWORD`, or for a
 * container run, WORKBOOK_REGISTRY_CREDS=USER:PASSWORD in the environment
 * (skopeo's --creds, in spirit). Sent only to the registry they are for.
 */
import { UsageError } from '../runtime/errors.ts';

export interface Credentials {
  username: string;
  password: string;
}

export function parseCredentials(text: string, where: string): Credentials {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new UsageError(`Expected ${where} to be USER:PASSWORD, got a value without a user name and a colon`);
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

export function credentialsFromEnv(): Credentials | undefined {
  const text = process.env.WORKBOOK_REGISTRY_CREDS;
  return text ? parseCredentials(text, 'WORKBOOK_REGISTRY_CREDS') : undefined;
}
