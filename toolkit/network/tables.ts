/**
 * iptables-nft creates the "nat" and "filter" tables of a network namespace
 * when it adds their first rule, and leaves them there when the last rule
 * goes: empty, but not as before — a nat table makes the kernel track every
 * connection of the namespace (conntrack). So before the workbook's first
 * rule in a table, noteTable() writes down whether the table existed
 * (RUN_DIR/network/tables-<netns>.json), and once no rule of the workbook is
 * left, dropTablesWeMade() deletes each table it made that is still pristine:
 * no rules, no chains of its own, every policy ACCEPT. (`nft delete table ip
 * nat` does the same; iptables itself has no command for it.)
 *
 * With iptables-legacy the tables always exist, and nothing is noted.
 * The tables are read the way nft reads them, through nf_tables' netlink
 * (kernel/nf-tables.ts), not by starting iptables-save for each look.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NFPROTO_IPV4, deleteNfTable, readNfRules, readNfTable, type NfTableContents } from '../kernel/nf-tables.ts';
import { run } from './command.ts';
import { NETWORK_DIR } from './lock.ts';
import { netnsInode } from './netns.ts';

const BUILTIN_CHAINS: Record<string, readonly string[]> = {
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** The record for a network namespace (default: the caller's): table → whether it existed before the workbook's first rule. */
export function tablesRecordFile(inode: string = netnsInode()): string {
  return path.join(NETWORK_DIR, `tables-${inode}.json`);
}

/** Before inserting into `table`: note whether it exists, unless noted already. */
export function noteTable(table: string): void {
  if (isLegacy()) return;
  const file = tablesRecordFile();
  const record = readRecord(file);
  if (table in record) return;
  record[table] = readNfTable(NFPROTO_IPV4, table) !== undefined;
  fs.mkdirSync(NETWORK_DIR, { recursive: true, mode: 0o700 });
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(record));
  fs.renameSync(`${file}.tmp`, file);
}

/** If no rule tagged `tag` is left: delete the pristine tables the workbook made, forget the record. Returns the tables deleted. */
export function dropTablesWeMade(tag: string): string[] {
  const file = tablesRecordFile();
  if (!fs.existsSync(file)) return [];
  // A rule's comment ("workbook:OWNER", iptables' -m comment) is in the rule's message as it is.
  const mark = Buffer.from(`${tag}:`);
  if (readNfRules(NFPROTO_IPV4).some(({ rule }) => rule.includes(mark))) return [];
  const dropped: string[] = [];
  for (const [name, existed] of Object.entries(readRecord(file))) {
    const table = existed ? undefined : readNfTable(NFPROTO_IPV4, name);
    if (table && isPristine(name, table) && deleteNfTable(NFPROTO_IPV4, name)) dropped.push(name);
  }
  fs.rmSync(file, { force: true });
  return dropped;
}

function isPristine(name: string, table: NfTableContents): boolean {
  const builtin = BUILTIN_CHAINS[name] ?? [];
  return table.rules.length === 0 && table.chains.every((c) => builtin.includes(c.name) && c.policy === 'ACCEPT');
}

let legacy: boolean | undefined;

/**
 * Which iptables this is, as `iptables -V` would say ("(legacy)" or
 * "(nf_tables)"), from the program itself: both are one binary each,
 * xtables-legacy-multi and xtables-nft-multi, that `iptables` links to
 * (through /etc/alternatives on Debian). Only an iptables of another shape is asked.
 */
function isLegacy(): boolean {
  legacy ??= multiBinary()?.includes('legacy') ?? run('iptables', ['-V']).includes('legacy');
  return legacy;
}

function multiBinary(): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    try {
      const real = path.basename(fs.realpathSync(path.join(dir || '.', 'iptables')));
      return /^xtables-(legacy|nft)-multi$/.test(real) ? real : undefined;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function readRecord(file: string): Record<string, boolean> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, boolean>;
  } catch {
    return {};
  }
}
