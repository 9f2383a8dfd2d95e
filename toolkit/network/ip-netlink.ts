/**
 * The `ip` commands of chapter 5, sent as the rtnetlink requests iproute2
 * itself sends for them (rtnetlink(7)), without starting it: a process start
 * costs more than the request, and a container start makes a dozen of them.
 * Each form below is the one ip(8) is given in the chapter; any other form
 * (another option, an abbreviation, a second address…) is not recognised
 * here, and iproute2 runs it (command.ts).
 *
 *   ip link add NAME type bridge                 RTM_NEWLINK  IFLA_IFNAME, IFLA_LINKINFO { IFLA_INFO_KIND "bridge" }
 *   ip link add NAME type veth peer name PEER    RTM_NEWLINK  … IFLA_INFO_DATA { VETH_INFO_PEER { ifinfomsg, IFLA_IFNAME } }
 *   ip link set NAME up | down                   RTM_NEWLINK  ifi_flags IFF_UP, ifi_change IFF_UP
 *   ip link set NAME master BRIDGE               RTM_NEWLINK  IFLA_MASTER (the bridge's index)
 *   ip link set NAME netns PID                   RTM_NEWLINK  IFLA_NET_NS_PID
 *   ip link set NAME name NEW                    RTM_NEWLINK  IFLA_IFNAME
 *   ip link delete NAME                          RTM_DELLINK
 *   ip address add A.B.C.D/LEN dev NAME          RTM_NEWADDR  IFA_LOCAL, IFA_ADDRESS
 *   ip route add default via GATEWAY             RTM_NEWROUTE RTA_GATEWAY, main table, proto boot
 *
 * Failures read as iproute2's: "Cannot find device "wb9"" when a name does
 * not resolve, "RTNETLINK answers: File exists" when the kernel refuses.
 * Layouts: <linux/rtnetlink.h>, <linux/if_link.h>, <linux/veth.h>, <linux/if_addr.h>;
 * the netlink framing, kernel/netlink.ts.
 */
import { libc } from '../kernel/libc.ts';
import { NETLINK_ROUTE, NLA_F_NESTED, NLMSG_ERROR, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST, attribute as attr, errnoOf, exchange, message, stringAttribute as str } from '../kernel/netlink.ts';
import { dumpLinks } from '../kernel/rtnetlink.ts';

const AF_UNSPEC = 0;
const AF_INET = 2;
const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_NEWADDR = 20;
const RTM_NEWROUTE = 24;
const IFF_UP = 0x1;
const IFLA_IFNAME = 3;
const IFLA_MASTER = 10;
const IFLA_LINKINFO = 18;
const IFLA_NET_NS_PID = 19;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const VETH_INFO_PEER = 1;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const RTA_GATEWAY = 5;
const RT_TABLE_MAIN = 254;
const RTPROT_BOOT = 3;
const RT_SCOPE_UNIVERSE = 0;
const RTN_UNICAST = 1;

const strerror_ = libc.func('const char *strerror(int errnum)');

/** A request the kernel refused, or a name that does not resolve: what iproute2 prints, and ip's exit status (2). */
export class IpFailure extends Error {
  override readonly name = 'IpFailure';
}

const u32 = (type: number, value: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0, 0);
  return attr(type, b);
};
const nest = (type: number, ...inner: Buffer[]) => attr(type | NLA_F_NESTED, Buffer.concat(inner));

/** struct ifinfomsg: family, type, index, flags, change. */
function ifinfomsg(index = 0, flags = 0, change = 0): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(AF_UNSPEC, 0);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags, 8);
  b.writeUInt32LE(change, 12);
  return b;
}

function ipv4Bytes(address: string): Buffer | null {
  const parts = address.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return Buffer.from(parts.map(Number));
}

/** Sends one request with NLM_F_ACK and waits for the kernel's answer: 0, or a negative errno. */
function request(type: number, flags: number, body: Buffer): void {
  exchange(NETLINK_ROUTE, message(type, NLM_F_REQUEST | NLM_F_ACK | flags, 1, body), 'rtnetlink', (answer) => {
    if (answer.type !== NLMSG_ERROR) return undefined;
    if (errnoOf(answer) === 0) return true;
    throw new IpFailure(`RTNETLINK answers: ${strerror_(errnoOf(answer)) as string}`); // iproute2's words
  });
}

function indexOf(name: string): number {
  const link = dumpLinks().find((l) => l.ifname === name);
  if (link === undefined) throw new IpFailure(`Cannot find device "${name}"`);
  return link.index;
}

/**
 * Runs `ip ARGS` by rtnetlink if ARGS is one of the forms above, and returns
 * true; false if it is not (the caller runs iproute2). Throws IpFailure as
 * ip would fail.
 */
export function ipByNetlink(args: readonly string[]): boolean {
  const [object, verb, ...rest] = args;
  const is = (...words: (string | null)[]) => rest.length === words.length && words.every((w, i) => w === null || rest[i] === w);
  if (object === 'link' && verb === 'add') {
    if (is(null, 'type', 'bridge')) {
      request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, Buffer.concat([ifinfomsg(), str(IFLA_IFNAME, rest[0]!), nest(IFLA_LINKINFO, str(IFLA_INFO_KIND, 'bridge'))]));
      return true;
    }
    if (is(null, 'type', 'veth', 'peer', 'name', null)) {
      const peer = Buffer.concat([ifinfomsg(), str(IFLA_IFNAME, rest[5]!)]);
      const info = nest(IFLA_LINKINFO, str(IFLA_INFO_KIND, 'veth'), nest(IFLA_INFO_DATA, nest(VETH_INFO_PEER, peer)));
      request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, Buffer.concat([ifinfomsg(), str(IFLA_IFNAME, rest[0]!), info]));
      return true;
    }
    return false;
  }
  if (object === 'link' && verb === 'set' && rest.length === 2 && (rest[1] === 'up' || rest[1] === 'down')) {
    request(RTM_NEWLINK, 0, ifinfomsg(indexOf(rest[0]!), rest[1] === 'up' ? IFF_UP : 0, IFF_UP));
    return true;
  }
  if (object === 'link' && verb === 'set' && rest.length === 3) {
    const [name, key, value] = rest as [string, string, string];
    if (key === 'master') {
      const index = indexOf(name);
      const master = dumpLinks().find((l) => l.ifname === value);
      if (master === undefined) throw new IpFailure(`Error: argument "${value}" is wrong: Device does not exist`);
      request(RTM_NEWLINK, 0, Buffer.concat([ifinfomsg(index), u32(IFLA_MASTER, master.index)]));
      return true;
    }
    if (key === 'netns' && /^\d+$/.test(value)) {
      request(RTM_NEWLINK, 0, Buffer.concat([ifinfomsg(indexOf(name)), u32(IFLA_NET_NS_PID, Number(value))]));
      return true;
    }
    if (key === 'name') {
      request(RTM_NEWLINK, 0, Buffer.concat([ifinfomsg(indexOf(name)), str(IFLA_IFNAME, value)]));
      return true;
    }
    return false;
  }
  if (object === 'link' && verb === 'delete' && rest.length === 1) {
    request(RTM_DELLINK, 0, ifinfomsg(indexOf(rest[0]!)));
    return true;
  }
  if (object === 'address' && verb === 'add' && is(null, 'dev', null)) {
    const [address = '', length = ''] = rest[0]!.split('/');
    const bytes = ipv4Bytes(address);
    if (bytes === null || !/^\d{1,2}$/.test(length) || Number(length) > 32) return false;
    const header = Buffer.alloc(8); // struct ifaddrmsg: family, prefixlen, flags, scope, index
    header.writeUInt8(AF_INET, 0);
    header.writeUInt8(Number(length), 1);
    header.writeUInt32LE(indexOf(rest[2]!), 4);
    request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, Buffer.concat([header, attr(IFA_LOCAL, bytes), attr(IFA_ADDRESS, bytes)]));
    return true;
  }
  if (object === 'route' && verb === 'add' && is('default', 'via', null)) {
    const gateway = ipv4Bytes(rest[2]!);
    if (gateway === null) return false;
    const header = Buffer.alloc(12); // struct rtmsg
    header.writeUInt8(AF_INET, 0); // rtm_family; rtm_dst_len 0: the default route
    header.writeUInt8(RT_TABLE_MAIN, 4);
    header.writeUInt8(RTPROT_BOOT, 5);
    header.writeUInt8(RT_SCOPE_UNIVERSE, 6);
    header.writeUInt8(RTN_UNICAST, 7);
    request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, Buffer.concat([header, attr(RTA_GATEWAY, gateway)]));
    return true;
  }
  return false;
}
