/**
 * Reading the network configuration of the caller's network namespace the
 * way `ip link show`, `ip address show` and `ip route show` read it: one
 * rtnetlink dump request on an AF_NETLINK socket (rtnetlink(7)), answered
 * by a message per link, address or route. The toolkit looks with these
 * (is the bridge there? which ports does it have?) instead of starting
 * `ip -json …` for each look: a process start costs more than the question.
 *
 *   request:  struct nlmsghdr (RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP) + struct ifinfomsg
 *   answers:  struct nlmsghdr + struct ifinfomsg + attributes (struct rtattr), …, NLMSG_DONE
 *
 * The netlink framing (headers, attributes, the socket) is netlink.ts'.
 * Layouts from <linux/rtnetlink.h>, <linux/if_link.h>, <linux/if_addr.h>.
 * https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 */
import { SyscallError } from './error.ts';
import { NETLINK_ROUTE, NLMSG_DONE, NLMSG_ERROR, NLM_F_DUMP, NLM_F_REQUEST, attributesOf, cString, errnoOf, exchange, message } from './netlink.ts';

const AF_INET = 2;
const RTM_GETLINK = 18;
const RTM_GETADDR = 22;
const RTM_GETROUTE = 26;
const IFLA_IFNAME = 3;
const IFLA_MASTER = 10;
const IFLA_LINKINFO = 18;
const IFLA_INFO_KIND = 1;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const RTA_DST = 1;

/** One answer of a dump: its fixed header (ifinfomsg, ifaddrmsg or rtmsg) and its attributes by type. */
interface Entry {
  header: Buffer;
  attributes: Map<number, Buffer>;
}

/** Sends one dump request (`type`, with `header` as its fixed part) and collects every answer up to NLMSG_DONE. */
function dump(type: number, header: Buffer, what: string): Entry[] {
  const entries: Entry[] = [];
  return exchange(NETLINK_ROUTE, message(type, NLM_F_REQUEST | NLM_F_DUMP, 1, header), what, (answer) => {
    if (answer.type === NLMSG_DONE) return entries;
    if (answer.type === NLMSG_ERROR && errnoOf(answer) !== 0) throw new SyscallError('netlink', errnoOf(answer), [what]);
    // RTM_NEWLINK answers RTM_GETLINK (and so on: each NEW is its GET − 2 in <linux/rtnetlink.h>)
    if (answer.type === type - 2) entries.push({ header: answer.body.subarray(0, header.length), attributes: attributesOf(answer.body.subarray((header.length + 3) & ~3)) });
    return undefined;
  });
}

const ipv4 = (buf: Buffer): string => [...buf.subarray(0, 4)].join('.');

export interface LinkInfo {
  readonly index: number;
  readonly ifname: string;
  /** The index of the bridge (or bond) this link is plugged into. */
  readonly master?: number;
  /** "bridge", "veth", … (IFLA_INFO_KIND); absent for plain devices such as lo. */
  readonly kind?: string;
}

/** Every link of the caller's network namespace, as `ip -details link show` lists them. */
export function dumpLinks(): LinkInfo[] {
  return dump(RTM_GETLINK, Buffer.alloc(16), 'RTM_GETLINK').map(({ header, attributes }) => {
    const master = attributes.get(IFLA_MASTER);
    const linkinfo = attributes.get(IFLA_LINKINFO);
    const kind = linkinfo && cString(attributesOf(linkinfo).get(IFLA_INFO_KIND));
    return {
      index: header.readInt32LE(4),
      ifname: cString(attributes.get(IFLA_IFNAME)) ?? '',
      ...(master !== undefined ? { master: master.readUInt32LE(0) } : {}),
      ...(kind ? { kind } : {}),
    };
  });
}

export interface AddressInfo {
  /** The link's index. */
  readonly index: number;
  readonly address: string;
  readonly prefixLength: number;
}

/** Every IPv4 address of the caller's network namespace, as `ip -4 address show` lists them. */
export function dumpIpv4Addresses(): AddressInfo[] {
  const header = Buffer.alloc(8);
  header.writeUInt8(AF_INET, 0); // ifa_family
  return dump(RTM_GETADDR, header, 'RTM_GETADDR').flatMap(({ header: h, attributes }) => {
    // IFA_LOCAL is the interface's own address; IFA_ADDRESS the peer's on a point-to-point link (ip shows "local").
    const address = attributes.get(IFA_LOCAL) ?? attributes.get(IFA_ADDRESS);
    return h.readUInt8(0) === AF_INET && address ? [{ index: h.readUInt32LE(4), address: ipv4(address), prefixLength: h.readUInt8(1) }] : [];
  });
}

/** The destinations of every IPv4 route in every table, as `ip -4 route show table all`: "10.0.2.0/24"; null for a default route. */
export function dumpIpv4RouteDestinations(): (string | null)[] {
  const header = Buffer.alloc(12);
  header.writeUInt8(AF_INET, 0); // rtm_family; rtm_table 0 (RT_TABLE_UNSPEC): all tables
  return dump(RTM_GETROUTE, header, 'RTM_GETROUTE').flatMap(({ header: h, attributes }) => {
    if (h.readUInt8(0) !== AF_INET) return [];
    const length = h.readUInt8(1);
    const dst = attributes.get(RTA_DST);
    if (length === 0 || dst === undefined) return [null];
    return [`${ipv4(dst)}/${length}`];
  });
}
