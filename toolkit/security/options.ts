/**
 * Chapter 7's runner options, checked up front like every other option:
 * Expected `--cap-add` to be a capability name …, got `CAP_FLY`.
 */
import { UsageError } from '../runtime/errors.ts';
import { DEFAULT_PRIVILEGES, normalizeCapability, type Privileges } from './privileges.ts';

export type { Privileges } from './privileges.ts';

export interface PrivilegeFlags {
  capAdd: readonly string[];
  capDrop: readonly string[];
  securityOpt: readonly string[];
  privileged: boolean;
  readOnly: boolean;
}

function capabilities(flag: string, values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((name) => {
    const n = normalizeCapability(name.trim());
    if (n === undefined) throw new UsageError(`Expected ${flag} to be a capability name such as NET_ADMIN or CAP_SYS_TIME, or ALL (capabilities(7)), got ${JSON.stringify(name)}`);
    return n;
  });
}

export function parsePrivileges(flags: PrivilegeFlags): Privileges {
  let seccomp = DEFAULT_PRIVILEGES.seccomp;
  let noNewPrivileges = DEFAULT_PRIVILEGES.noNewPrivileges;
  for (const opt of flags.securityOpt) {
    const [key, value] = opt.split(/[=:]/, 2);
    if (key === 'seccomp' && value === 'unconfined') seccomp = false;
    else if (key === 'no-new-privileges' && (value === undefined || value === 'true')) noNewPrivileges = true;
    else if (key === 'no-new-privileges' && value === 'false') noNewPrivileges = false;
    else throw new UsageError(`Expected --security-opt to be seccomp=unconfined, no-new-privileges=true or no-new-privileges=false, got ${JSON.stringify(opt)}`);
  }
  return {
    capAdd: capabilities('--cap-add', flags.capAdd),
    capDrop: capabilities('--cap-drop', flags.capDrop),
    privileged: flags.privileged,
    seccomp,
    noNewPrivileges,
    readOnlyRootfs: flags.readOnly,
  };
}
