/** Namespaces, mounts and cgroups belong to root: say so plainly instead of failing halfway. */
import { UsageError } from '../runtime/errors.ts';

export function requireRoot(): void {
  if (process.getuid?.() === 0) return;
  throw new UsageError(
    'this needs root (namespaces, mounts and cgroups are root\'s): run it inside the VM (vagrant ssh, then `sudo -E npm run …`) or with sudo on a Linux machine',
  );
}
