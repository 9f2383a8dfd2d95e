/**
 * Netlink (netlink(7)): how a process talks to the kernel's networking in
 * messages on an AF_NETLINK socket instead of system calls per setting.
 * rtnetlink (links, addresses, routes: rtnetlink.ts, network/ip-netlink.ts)
 * and nf_tables (firewall tables: nf-tables.ts) are two protocols of it;
 * both frame their messages the same way, and this file holds that frame.
 *
 *   message:    struct nlmsghdr { len, type, flags, seq, pid } + the protocol's header + attributes
 *   attribute:  struct nlattr (struct rtattr) { len, type } + payload, padded to 4 bytes (NLA_ALIGN)
 *   answers:    one datagram holds one or more messages; a request with NLM_F_ACK is answered by
 *               NLMSG_ERROR (error 0: done, else −errno), a dump (NLM_F_DUMP) ends with NLMSG_DONE.
 *
 * Layouts from <linux/netlink.h>. https://man7.org/linux/man-pages/man7/netlink.7.html
 */
import { check, libc } from './libc.ts';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
/** Netlink protocols (the socket's third argument): rtnetlink, and nfnetlink (nf_tables among it). */
export const NETLINK_ROUTE = 0;
export const NETLINK_NETFILTER = 12;
const PROTOCOL_NAMES: Readonly<Record<number, string>> = { [NETLINK_ROUTE]: 'NETLINK_ROUTE', [NETLINK_NETFILTER]: 'NETLINK_NETFILTER' };

export const NLM_F_REQUEST = 0x1;
export const NLM_F_ACK = 0x4;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
/** NLM_F_ROOT | NLM_F_MATCH: every object of the kind asked for. */
export const NLM_F_DUMP = 0x300;
export const NLMSG_ERROR = 0x2;
export const NLMSG_DONE = 0x3;
export const NLA_F_NESTED = 0x8000;
/** The type bits of nla_type; the top two are NLA_F_NESTED and NLA_F_NET_BYTEORDER. */
const NLA_TYPE_MASK = 0x3fff;

const socket_ = libc.func('int socket(int domain, int type, int protocol)');
const sendto_ = libc.func('long sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)');
const recv_ = libc.func('long recv(int fd, _Out_ uint8_t *buf, size_t len, int flags)');
const close_ = libc.func('int close(int fd)');

const align = (length: number) => (length + 3) & ~3;

/** struct nlmsghdr followed by `body` (the protocol's header and attributes), padded as NLMSG_ALIGN wants. nlmsg_pid 0: the kernel fills in ours. */
export function message(type: number, flags: number, seq: number, body: Uint8Array): Buffer {
  const buf = Buffer.alloc(align(16 + body.length));
  buf.writeUInt32LE(16 + body.length, 0); // nlmsg_len
  buf.writeUInt16LE(type, 4); // nlmsg_type
  buf.writeUInt16LE(flags, 6); // nlmsg_flags
  buf.writeUInt32LE(seq, 8); // nlmsg_seq
  buf.set(body, 16);
  return buf;
}

/** struct nlattr: length, type, payload, padded to 4 bytes. */
export function attribute(type: number, payload: Uint8Array): Buffer {
  const buf = Buffer.alloc(align(4 + payload.length));
  buf.writeUInt16LE(4 + payload.length, 0);
  buf.writeUInt16LE(type, 2);
  buf.set(payload, 4);
  return buf;
}

/** An attribute holding a NUL-terminated string (NLA_NUL_STRING). */
export const stringAttribute = (type: number, value: string): Buffer => attribute(type, Buffer.from(`${value}\0`));

/** Attribute after attribute: type → payload (a view into `buf`). */
export function attributesOf(buf: Buffer): Map<number, Buffer> {
  const found = new Map<number, Buffer>();
  for (let at = 0; at + 4 <= buf.length; ) {
    const length = buf.readUInt16LE(at);
    if (length < 4) break;
    found.set(buf.readUInt16LE(at + 2) & NLA_TYPE_MASK, buf.subarray(at + 4, at + length));
    at += align(length);
  }
  return found;
}

/** A string attribute's text, up to its NUL. */
export const cString = (buf: Buffer | undefined): string | undefined => (buf === undefined ? undefined : buf.toString('utf8', 0, buf.indexOf(0) >= 0 ? buf.indexOf(0) : buf.length));

/** One message of an answer: its header's type and sequence number, and the bytes after struct nlmsghdr. */
export interface Answer {
  type: number;
  seq: number;
  body: Buffer;
}

/** The errno an NLMSG_ERROR answer carries (struct nlmsgerr: a negative errno, 0 for an acknowledgement). */
export const errnoOf = (answer: Answer): number => -answer.body.readInt32LE(0);

/**
 * Sends `request` (one message, or a batch of them) to the kernel on a new
 * socket of `protocol`, then hands each message of the answers to `onAnswer`
 * until it returns something other than undefined, which is returned. The
 * body it is given is its own copy (the receive buffer is reused).
 * `what` names the request in a SyscallError of sendto or recv.
 */
export function exchange<T>(protocol: number, request: Buffer, what: string, onAnswer: (answer: Answer) => T | undefined): T {
  const fd = check(socket_(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol), 'socket', ['AF_NETLINK', 'SOCK_RAW', PROTOCOL_NAMES[protocol] ?? String(protocol)]);
  try {
    const kernel = Buffer.alloc(12); // struct sockaddr_nl { nl_family = AF_NETLINK, nl_pid = 0: the kernel }
    kernel.writeUInt16LE(AF_NETLINK, 0);
    check(Number(sendto_(fd, request, request.length, 0, kernel, kernel.length)), 'sendto', [what]);
    // A dump comes in datagrams of at most a page or two each (netlink(7)); 64 KiB holds any of them.
    const reply = Buffer.alloc(65536);
    for (;;) {
      const got = check(Number(recv_(fd, reply, reply.length, 0)), 'recv', [what]);
      for (let at = 0; at + 16 <= got; ) {
        const length = reply.readUInt32LE(at);
        if (length < 16) break;
        const done = onAnswer({ type: reply.readUInt16LE(at + 4), seq: reply.readUInt32LE(at + 8), body: Buffer.from(reply.subarray(at + 16, at + length)) });
        if (done !== undefined) return done;
        at += align(length);
      }
    }
  } finally {
    close_(fd);
  }
}
