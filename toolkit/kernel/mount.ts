/**
 * mount(2) attaches a filesystem (or, with MS_BIND, a directory) at a path;
 * umount2(2) detaches it. Each mount namespace has its own table of these.
 * https://man7.org/linux/man-pages/man2/mount.2.html
 * https://man7.org/linux/man-pages/man2/umount.2.html
 */
import { MOUNT_FLAGS, UMOUNT_FLAGS, flagNames } from './constants.ts';
import { quote } from './error.ts';
import { refuseInHostNamespace } from './guard.ts';
import { check, libc } from './libc.ts';
import { pauseForTest } from '../test-pause.ts';

const mount_ = libc.func(
  'int mount(const char *source, const char *target, const char *filesystemtype, unsigned long mountflags, const char *data)',
);
const umount2_ = libc.func('int umount2(const char *target, int flags)');

export function mount(
  source: string | null,
  target: string,
  fstype: string | null,
  flags = 0,
  data: string | null = null,
): void {
  const args = [quote(source), quote(target), quote(fstype), flagNames(flags, MOUNT_FLAGS)];
  if (data !== null) args.push(quote(data));
  refuseInHostNamespace('mnt', `mount(${args.join(', ')})`);
  check(mount_(source, target, fstype, flags, data), 'mount', args);
  if (fstype === 'overlay') pauseForTest('after-overlay');
}

export function umount2(target: string, flags = 0): void {
  refuseInHostNamespace('mnt', `umount2(${quote(target)})`);
  check(umount2_(target, flags), 'umount2', [quote(target), flagNames(flags, UMOUNT_FLAGS)]);
}
