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
 * Layouts from <linux/netlink.h>, <linux/rtnetlink.h>, <linux/if_link.h>,
 * <linux/if_addr.h>. https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 */
import { SyscallError } from './error.ts';
import { check, libc } from './libc.ts';

const AF_NETLINK = 16;
const AF_INET = 2;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const NLM_F_REQUEST = 0x1;
const NLM_F_DUMP = 0x300;
const NLMSG_ERROR = 0x2;
const NLMSG_DONE = 0x3;
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
/** The type bits of nla_type; the top two are NLA_F_NESTED and NLA_F_NET_BYTEORDER. */
const NLA_TYPE_MASK = 0x3fff;

const socket_ = libc.func('int socket(int domain, int type, int protocol)');
const sendto_ = libc.func('long sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)');
const recv_ = libc.func('long recv(int fd, _Out_ uint8_t *buf, size_t len, int flags)');
const close_ = libc.func('int close(int fd)');

/** One answer of a dump: its fixed header (ifinfomsg, ifaddrmsg or rtmsg) and its attributes by type. */
interface Answer {
  header: Buffer;
  attributes: Map<number, Buffer>;
}

function attributesOf(buf: Buffer): Map<number, Buffer> {
  const found = new Map<number, Buffer>();
  for (let at = 0; at + 4 <= buf.length; ) {
    const length = buf.readUInt16LE(at);
    if (length < 4) break;
    found.set(buf.readUInt16LE(at + 2) & NLA_TYPE_MASK, buf.subarray(at + 4, at + length));
    at += (length + 3) & ~3;
  }
  return found;
}

/** Sends one dump request (`type`, with `header` as its fixed part) and collects every answer up to NLMSG_DONE. */
function dump(type: number, header: Buffer, what: string): Answer[] {
  const request = Buffer.alloc(16 + header.length);
  request.writeUInt32LE(request.length, 0); // nlmsg_len
  request.writeUInt16LE(type, 4); // nlmsg_type
  request.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6); // nlmsg_flags
  request.writeUInt32LE(1, 8); // nlmsg_seq
  header.copy(request, 16);
  const fd = check(socket_(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), 'socket', ['AF_NETLINK', 'SOCK_RAW', 'NETLINK_ROUTE']);
  try {
    const kernel = Buffer.alloc(12); // struct sockaddr_nl { nl_family = AF_NETLINK, nl_pid = 0: the kernel }
    kernel.writeUInt16LE(AF_NETLINK, 0);
    check(Number(sendto_(fd, request, request.length, 0, kernel, kernel.length)), 'sendto', [what]);
    const answers: Answer[] = [];
    // A dump comes in datagrams of at most a page or two each (netlink(7)); 64 KiB holds any of them.
    const reply = Buffer.alloc(65536);
    for (;;) {
      const got = check(Number(recv_(fd, reply, reply.length, 0)), 'recv', [what]);
      for (let at = 0; at + 16 <= got; ) {
        const length = reply.readUInt32LE(at);
        const kind = reply.readUInt16LE(at + 4);
        if (kind === NLMSG_DONE) return answers;
        if (kind === NLMSG_ERROR) {
          const errno = -reply.readInt32LE(at + 16);
          if (errno !== 0) throw new SyscallError('netlink', errno, [what]);
        } else if (kind === type - 2) {
          // RTM_NEWLINK answers RTM_GETLINK (and so on: each NEW is its GET − 2 in <linux/rtnetlink.h>)
          const body = reply.subarray(at + 16, at + length);
          answers.push({ header: Buffer.from(body.subarray(0, header.length)), attributes: new Map([...attributesOf(body.subarray((header.length + 3) & ~3))].map(([k, v]) => [k, Buffer.from(v)])) });
        }
        if (length < 16) break;
        at += (length + 3) & ~3;
      }
    }
  } finally {
    close_(fd);
  }
}

const cString = (buf: Buffer | undefined): string | undefined => (buf === undefined ? undefined : buf.toString('utf8', 0, buf.indexOf(0) >= 0 ? buf.indexOf(0) : buf.length));
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
