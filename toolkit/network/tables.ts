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
 */
import fs from 'node:fs';
import path from 'node:path';
import { NFPROTO_IPV4, deleteNfTable } from '../kernel/nf-tables.ts';
import { run } from './command.ts';
import { NETWORK_DIR } from './lock.ts';
import { netnsInode } from './netns.ts';

const BUILTIN_CHAINS: Record<string, readonly string[]> = {
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

interface SavedTable {
  chains: { name: string; policy: string }[];
  rules: string[];
}

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
  record[table] = saveTables().has(table);
  fs.mkdirSync(NETWORK_DIR, { recursive: true, mode: 0o700 });
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(record));
  fs.renameSync(`${file}.tmp`, file);
}

/** If no rule tagged `tag` is left: delete the pristine tables the workbook made, forget the record. Returns the tables deleted. */
export function dropTablesWeMade(tag: string): string[] {
  const file = tablesRecordFile();
  if (!fs.existsSync(file)) return [];
  const tables = saveTables();
  if ([...tables.values()].some((t) => t.rules.some((rule) => rule.includes(`${tag}:`)))) return [];
  const dropped: string[] = [];
  for (const [name, existed] of Object.entries(readRecord(file))) {
    const table = tables.get(name);
    if (!existed && table && isPristine(name, table) && deleteNfTable(NFPROTO_IPV4, name)) dropped.push(name);
  }
  fs.rmSync(file, { force: true });
  return dropped;
}

function isPristine(name: string, table: SavedTable): boolean {
  const builtin = BUILTIN_CHAINS[name] ?? [];
  return table.rules.length === 0 && table.chains.every((c) => builtin.includes(c.name) && c.policy === 'ACCEPT');
}

/** iptables-save, parsed: "*nat", ":POSTROUTING ACCEPT [0:0]", "-A POSTROUTING …". */
function saveTables(): Map<string, SavedTable> {
  const tables = new Map<string, SavedTable>();
  let current: SavedTable | undefined;
  for (const line of run('iptables-save', []).split('\n')) {
    if (line.startsWith('*')) tables.set(line.slice(1), (current = { chains: [], rules: [] }));
    else if (line.startsWith(':') && current) {
      const [name = '', policy = ''] = line.slice(1).split(' ');
      current.chains.push({ name, policy });
    } else if (line.startsWith('-A ') && current) current.rules.push(line);
  }
  return tables;
}

let legacy: boolean | undefined;

function isLegacy(): boolean {
  legacy ??= run('iptables', ['-V']).includes('legacy');
  return legacy;
}

function readRecord(file: string): Record<string, boolean> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, boolean>;
  } catch {
    return {};
  }
}
