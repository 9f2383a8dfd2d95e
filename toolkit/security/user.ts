/**
 * The change of uid (--user, or the image's User: toolkit/image/process.ts
 * does the lookup and the setgroups/setresgid/setresuid) placed where
 * chapter 7 needs it: after the bounding set is dropped, before capset.
 * capabilities(7), "Effect of user ID changes on capabilities": when every
 * uid goes from 0 to non-zero the kernel clears the permitted, effective and
 * ambient sets — unless PR_SET_KEEPCAPS is on, which keeps permitted, so the
 * capset after it still decides what stays.
 */
import { SIGKILL } from '../kernel/constants.ts';
import { setKeepCaps } from '../kernel/prctl.ts';
import { setParentDeathSignal } from '../kernel/process.ts';
import { changeUser } from '../image/process.ts';
import type { Container } from '../runtime/container.ts';

/** Becomes c.user (if any) with the permitted set kept; the child stage's own call then does nothing. */
export function changeUserKeepingCapabilities(c: Pick<Container, 'user'>): void {
  if (c.user === undefined) return;
  setKeepCaps(true);
  changeUser(c);
  setKeepCaps(false);
  // A change of credentials clears the parent-death signal (prctl(2)): the container must still die with the runner.
  setParentDeathSignal(SIGKILL);
}
