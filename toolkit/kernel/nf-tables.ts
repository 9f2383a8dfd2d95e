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
 * message: error 0 means done, otherwise a negative errno. The netlink
 * framing itself is netlink.ts'. https://man7.org/linux/man-pages/man7/netlink.7.html
 */
import { errnoNumber } from './errno.ts';
import { SyscallError, quote } from './error.ts';
import { NETLINK_NETFILTER, NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, type Answer, attributesOf, cString, errnoOf, exchange, message, stringAttribute } from './netlink.ts';

// <linux/netfilter/nfnetlink.h>, <linux/netfilter/nf_tables.h>
const NFNL_MSG_BATCH_BEGIN = 0x10;
const NFNL_MSG_BATCH_END = 0x11;
const NFNL_SUBSYS_NFTABLES = 10;
const NFT_MSG_DELTABLE = 2;
const NFTA_TABLE_NAME = 1;
/** Protocol families of nf_tables tables (<linux/netfilter.h>): `nft … table ip NAME` is NFPROTO_IPV4. */
export const NFPROTO_IPV4 = 2;

/** A netlink message whose body is struct nfgenmsg (+ payload). */
function nfMessage(type: number, flags: number, seq: number, family: number, resId: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const body = Buffer.alloc(4 + payload.length);
  body.writeUInt8(family, 0); // nfgen_family
  body.writeUInt8(0, 1); // version: NFNETLINK_V0
  body.writeUInt16BE(resId, 2); // res_id, in network byte order
  body.set(payload, 4);
  return message(type, flags, seq, body);
}

/** Deletes nf_tables table `name` of `family` (with whatever it holds). Returns false if there was none. */
export function deleteNfTable(family: number, name: string): boolean {
  const batch = Buffer.concat([
    nfMessage(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, 1, 0, NFNL_SUBSYS_NFTABLES),
    nfMessage((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE, NLM_F_REQUEST | NLM_F_ACK, 2, family, 0, stringAttribute(NFTA_TABLE_NAME, name)),
    nfMessage(NFNL_MSG_BATCH_END, NLM_F_REQUEST, 3, 0, NFNL_SUBSYS_NFTABLES),
  ]);
  const what = `NFT_MSG_DELTABLE ${quote(name)}`;
  return exchange(NETLINK_NETFILTER, batch, what, (answer) => {
    if (answer.type !== NLMSG_ERROR) return undefined;
    const errno = errnoOf(answer);
    if (errno === errnoNumber('ENOENT')) return false;
    if (errno !== 0) throw new SyscallError('netlink', errno, [what]);
    return answer.seq === 2 ? true : undefined; // the acknowledgement of NFT_MSG_DELTABLE
  });
}

// Reading: a GET request needs no batch. One table by name (NLM_F_ACK: the kernel says ENOENT if there is none),
// or every chain or rule of a family (NLM_F_DUMP: answers up to NLMSG_DONE), as `nft list table ip nat` reads them.
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
  const answers: Buffer[] = [];
  return exchange<Buffer[] | null>(NETLINK_NETFILTER, nfMessage((NFNL_SUBSYS_NFTABLES << 8) | type, NLM_F_REQUEST | flags, 1, family, 0, payload), what, (got: Answer) => {
    if (got.type === NLMSG_DONE) return answers;
    if (got.type === NLMSG_ERROR) {
      const errno = errnoOf(got);
      if (errno === errnoNumber('ENOENT')) return null;
      if (errno !== 0) throw new SyscallError('netlink', errno, [what]);
      return answers; // the acknowledgement ends a request that is not a dump
    }
    if (got.type === ((NFNL_SUBSYS_NFTABLES << 8) | answer)) answers.push(got.body.subarray(4));
    return undefined;
  });
}

const text = (buf: Buffer | undefined): string => cString(buf) ?? '';

export interface NfTableContents {
  /** Its chains; a base chain has its policy, a chain of its own (no hook) "-", as iptables-save shows them. */
  chains: { name: string; policy: 'ACCEPT' | 'DROP' | '-' }[];
  /** Its rules, each as the kernel's message (its comment, when it has one, is among the bytes). */
  rules: Buffer[];
}

/** Every rule of every table of `family`, with its table's name: each as the kernel's message (its comment, when it has one, is among the bytes). */
export function readNfRules(family: number): { table: string; rule: Buffer }[] {
  return (get(NFT_MSG_GETRULE, NLM_F_DUMP, family, Buffer.alloc(0), NFT_MSG_NEWRULE, 'NFT_MSG_GETRULE') ?? []).map((rule) => ({ table: text(attributesOf(rule).get(NFTA_RULE_TABLE)), rule }));
}

/** Table `name` of `family`: its chains and rules; undefined if there is no such table. */
export function readNfTable(family: number, name: string): NfTableContents | undefined {
  if (get(NFT_MSG_GETTABLE, NLM_F_ACK, family, stringAttribute(NFTA_TABLE_NAME, name), NFT_MSG_NEWTABLE, `NFT_MSG_GETTABLE ${quote(name)}`) === null) return undefined;
  const chains = (get(NFT_MSG_GETCHAIN, NLM_F_DUMP, family, Buffer.alloc(0), NFT_MSG_NEWCHAIN, 'NFT_MSG_GETCHAIN') ?? []).flatMap((answer) => {
    const a = attributesOf(answer);
    if (text(a.get(NFTA_CHAIN_TABLE)) !== name) return [];
    const policy = a.get(NFTA_CHAIN_POLICY);
    const verdict = policy === undefined ? '-' : policy.readUInt32BE(0) === NF_ACCEPT ? 'ACCEPT' : policy.readUInt32BE(0) === NF_DROP ? 'DROP' : '-';
    return [{ name: text(a.get(NFTA_CHAIN_NAME)), policy: verdict } as const];
  });
  return { chains, rules: readNfRules(family).filter((r) => r.table === name).map((r) => r.rule) };
}
