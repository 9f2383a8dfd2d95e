/**
 * poll(2) with a zero timeout asks, without waiting, what state a descriptor
 * is in. POLLHUP / POLLRDHUP on a socket mean the other end is closed — for a
 * socketpair, that the process holding it is gone: the kernel closes a dead
 * process's descriptors. Unlike getppid(2), this works for PID 1 of a new PID
 * namespace, whose parent is outside it and always reads as 0.
 * https://man7.org/linux/man-pages/man2/poll.2.html
 */
import koffi from './koffi.ts';
import { check, libc } from './libc.ts';

const POLLIN = 0x1;
const POLLHUP = 0x10;
const POLLRDHUP = 0x2000;

koffi.struct('pollfd', { fd: 'int', events: 'short', revents: 'short' });
const poll_ = libc.func('int poll(_Inout_ pollfd *fds, unsigned long nfds, int timeout)');

/** Whether the peer of socket `fd` has closed its end (or died). */
export function peerClosed(fd: number): boolean {
  const fds = { fd, events: POLLRDHUP, revents: 0 };
  check(poll_(fds, 1, 0), 'poll', [`[{fd=${fd}, events=POLLRDHUP}]`, '1', '0']);
  return (fds.revents & (POLLHUP | POLLRDHUP)) !== 0;
}

/** Waits until `fd` has something to read, or its peer has closed it: poll(2) with no timeout. */
export function waitReadable(fd: number): void {
  const fds = { fd, events: POLLIN, revents: 0 };
  check(poll_(fds, 1, -1), 'poll', [`[{fd=${fd}, events=POLLIN}]`, '1', '-1']);
}
