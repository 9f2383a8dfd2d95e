/**
 * One nf_tables request, sent the way `nft` and iptables-nft send theirs:
 * netlink messages on an AF_NETLINK socket (netlink(7)). It deletes a table
 * of the caller's network namespace — `nft delete table ip nat` — which
 * iptables-nft itself cannot do: it creates the "nat" and "filter" tables
 * when it adds their first rule, and leaves them behind, empty.
 *
 * A request to nf_tables is a batch of three messages, each a netlink header
 * (struct nlmsghdr, <linux/netlink.h>) and a netfilter header (struct
 * nfgenmsg, <linux/netfilter/nfnetlink.h>), the middle one followed by an
 * attribute (struct nlattr) with the table's name:
 *
 *   NFNL_MSG_BATCH_BEGIN │ NFT_MSG_DELTABLE family=ip, NFTA_TABLE_NAME "nat" │ NFNL_MSG_BATCH_END
 *
 * The kernel answers the flagged message (NLM_F_ACK) with an NLMSG_ERROR
 * message: error 0 means done, otherwise a negative errno.
 * https://man7.org/linux/man-pages/man7/netlink.7.html
 */
import { errnoNumber } from './errno.ts';
import { SyscallError, quote } from './error.ts';
import { check, libc } from './libc.ts';

// <linux/netlink.h>, <linux/netfilter/nfnetlink.h>, <linux/netfilter/nf_tables.h>, <sys/socket.h>
const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_NETFILTER = 12;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLMSG_ERROR = 0x2;
const NFNL_MSG_BATCH_BEGIN = 0x10;
const NFNL_MSG_BATCH_END = 0x11;
const NFNL_SUBSYS_NFTABLES = 10;
const NFT_MSG_DELTABLE = 2;
const NFTA_TABLE_NAME = 1;
/** Protocol families of nf_tables tables (<linux/netfilter.h>): `nft … table ip NAME` is NFPROTO_IPV4. */
export const NFPROTO_IPV4 = 2;

const socket_ = libc.func('int socket(int domain, int type, int protocol)');
const sendto_ = libc.func('long sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)');
const recv_ = libc.func('long recv(int fd, _Out_ uint8_t *buf, size_t len, int flags)');
const close_ = libc.func('int close(int fd)');

/** struct nlmsghdr + struct nfgenmsg (+ payload), padded to 4 bytes as NLMSG_ALIGN wants. */
function message(type: number, flags: number, seq: number, family: number, resId: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const length = 16 + 4 + payload.length;
  const buf = Buffer.alloc((length + 3) & ~3);
  buf.writeUInt32LE(length, 0); // nlmsg_len
  buf.writeUInt16LE(type, 4); // nlmsg_type
  buf.writeUInt16LE(flags, 6); // nlmsg_flags
  buf.writeUInt32LE(seq, 8); // nlmsg_seq
  buf.writeUInt32LE(0, 12); // nlmsg_pid: 0, the kernel fills in ours
  buf.writeUInt8(family, 16); // nfgen_family
  buf.writeUInt8(0, 17); // version: NFNETLINK_V0
  buf.writeUInt16BE(resId, 18); // res_id, in network byte order
  buf.set(payload, 20);
  return buf;
}

/** struct nlattr with a NUL-terminated string, padded to 4 bytes. */
function stringAttribute(type: number, value: string): Buffer {
  const text = Buffer.from(`${value}\0`);
  const buf = Buffer.alloc((4 + text.length + 3) & ~3);
  buf.writeUInt16LE(4 + text.length, 0);
  buf.writeUInt16LE(type, 2);
  text.copy(buf, 4);
  return buf;
}

/** Deletes nf_tables table `name` of `family` (with whatever it holds). Returns false if there was none. */
export function deleteNfTable(family: number, name: string): boolean {
  const batch = Buffer.concat([
    message(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, 1, 0, NFNL_SUBSYS_NFTABLES),
    message((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE, NLM_F_REQUEST | NLM_F_ACK, 2, family, 0, stringAttribute(NFTA_TABLE_NAME, name)),
    message(NFNL_MSG_BATCH_END, NLM_F_REQUEST, 3, 0, NFNL_SUBSYS_NFTABLES),
  ]);
  const what = [`NFT_MSG_DELTABLE ${quote(name)}`];
  const fd = check(socket_(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER), 'socket', ['AF_NETLINK', 'SOCK_RAW', 'NETLINK_NETFILTER']);
  try {
    const kernel = Buffer.alloc(12); // struct sockaddr_nl { nl_family = AF_NETLINK, nl_pid = 0: the kernel }
    kernel.writeUInt16LE(AF_NETLINK, 0);
    check(Number(sendto_(fd, batch, batch.length, 0, kernel, kernel.length)), 'sendto', what);
    for (;;) {
      const reply = Buffer.alloc(8192);
      const got = check(Number(recv_(fd, reply, reply.length, 0)), 'recv', what);
      for (let at = 0; at + 16 <= got; ) {
        const length = reply.readUInt32LE(at);
        if (reply.readUInt16LE(at + 4) === NLMSG_ERROR) {
          const errno = -reply.readInt32LE(at + 16);
          if (errno === errnoNumber('ENOENT')) return false;
          if (errno !== 0) throw new SyscallError('netlink', errno, what);
          if (reply.readUInt32LE(at + 8) === 2) return true; // the acknowledgement of NFT_MSG_DELTABLE
        }
        if (length < 16) break;
        at += (length + 3) & ~3;
      }
    }
  } finally {
    close_(fd);
  }
}

// Reading: a GET request needs no batch. One table by name (NLM_F_ACK: the kernel says ENOENT if there is none),
// or every chain or rule of a family (NLM_F_DUMP: answers up to NLMSG_DONE), as `nft list table ip nat` reads them.
const NLM_F_DUMP = 0x300;
const NLMSG_DONE = 0x3;
const NFT_MSG_NEWTABLE = 0;
const NFT_MSG_GETTABLE = 1;
const NFT_MSG_NEWCHAIN = 3;
const NFT_MSG_GETCHAIN = 4;
const NFT_MSG_NEWRULE = 6;
const NFT_MSG_GETRULE = 7;
const NFTA_CHAIN_TABLE = 1;
const NFTA_CHAIN_NAME = 3;
const NFTA_CHAIN_POLICY = 5;
const NFTA_RULE_TABLE = 1;
/** Verdicts (<linux/netfilter.h>): a base chain's policy. */
const NF_DROP = 0;
const NF_ACCEPT = 1;

/** Sends one GET request; returns each answer of type `answer` (the bytes after struct nfgenmsg), or null for ENOENT. */
function get(type: number, flags: number, family: number, payload: Buffer, answer: number, what: string): Buffer[] | null {
  const request = message((NFNL_SUBSYS_NFTABLES << 8) | type, NLM_F_REQUEST | flags, 1, family, 0, payload);
  const fd = check(socket_(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER), 'socket', ['AF_NETLINK', 'SOCK_RAW', 'NETLINK_NETFILTER']);
  try {
    const kernel = Buffer.alloc(12);
    kernel.writeUInt16LE(AF_NETLINK, 0);
    check(Number(sendto_(fd, request, request.length, 0, kernel, kernel.length)), 'sendto', [what]);
    const answers: Buffer[] = [];
    const reply = Buffer.alloc(65536);
    for (;;) {
      const got = check(Number(recv_(fd, reply, reply.length, 0)), 'recv', [what]);
      for (let at = 0; at + 16 <= got; ) {
        const length = reply.readUInt32LE(at);
        const kind = reply.readUInt16LE(at + 4);
        if (kind === NLMSG_DONE) return answers;
        if (kind === NLMSG_ERROR) {
          const errno = -reply.readInt32LE(at + 16);
          if (errno === errnoNumber('ENOENT')) return null;
          if (errno !== 0) throw new SyscallError('netlink', errno, [what]);
          return answers; // the acknowledgement ends a request that is not a dump
        }
        if (kind === ((NFNL_SUBSYS_NFTABLES << 8) | answer)) answers.push(Buffer.from(reply.subarray(at + 20, at + length)));
        if (length < 16) break;
        at += (length + 3) & ~3;
      }
    }
  } finally {
    close_(fd);
  }
}

/** struct nlattr after struct nlattr: type → payload. */
function attributes(buf: Buffer): Map<number, Buffer> {
  const found = new Map<number, Buffer>();
  for (let at = 0; at + 4 <= buf.length; ) {
    const length = buf.readUInt16LE(at);
    if (length < 4) break;
    found.set(buf.readUInt16LE(at + 2) & 0x3fff, buf.subarray(at + 4, at + length));
    at += (length + 3) & ~3;
  }
  return found;
}

const text = (buf: Buffer | undefined): string => (buf === undefined ? '' : buf.toString('utf8', 0, buf.indexOf(0) >= 0 ? buf.indexOf(0) : buf.length));

export interface NfTableContents {
  /** Its chains; a base chain has its policy, a chain of its own (no hook) "-", as iptables-save shows them. */
  chains: { name: string; policy: 'ACCEPT' | 'DROP' | '-' }[];
  /** Its rules, each as the kernel's message (its comment, when it has one, is among the bytes). */
  rules: Buffer[];
}

/** Every rule of every table of `family`, with its table's name: each as the kernel's message (its comment, when it has one, is among the bytes). */
export function readNfRules(family: number): { table: string; rule: Buffer }[] {
  return (get(NFT_MSG_GETRULE, NLM_F_DUMP, family, Buffer.alloc(0), NFT_MSG_NEWRULE, 'NFT_MSG_GETRULE') ?? []).map((rule) => ({ table: text(attributes(rule).get(NFTA_RULE_TABLE)), rule }));
}

/** Table `name` of `family`: its chains and rules; undefined if there is no such table. */
export function readNfTable(family: number, name: string): NfTableContents | undefined {
  if (get(NFT_MSG_GETTABLE, NLM_F_ACK, family, stringAttribute(NFTA_TABLE_NAME, name), NFT_MSG_NEWTABLE, `NFT_MSG_GETTABLE ${quote(name)}`) === null) return undefined;
  const chains = (get(NFT_MSG_GETCHAIN, NLM_F_DUMP, family, Buffer.alloc(0), NFT_MSG_NEWCHAIN, 'NFT_MSG_GETCHAIN') ?? []).flatMap((answer) => {
    const a = attributes(answer);
    if (text(a.get(NFTA_CHAIN_TABLE)) !== name) return [];
    const policy = a.get(NFTA_CHAIN_POLICY);
    const verdict = policy === undefined ? '-' : policy.readUInt32BE(0) === NF_ACCEPT ? 'ACCEPT' : policy.readUInt32BE(0) === NF_DROP ? 'DROP' : '-';
    return [{ name: text(a.get(NFTA_CHAIN_NAME)), policy: verdict } as const];
  });
  return { chains, rules: readNfRules(family).filter((r) => r.table === name).map((r) => r.rule) };
}
