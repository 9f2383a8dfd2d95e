/**
 * Firewall and NAT rules with iptables(8). A rule lives in a table (nat:
 * rewriting addresses; filter: accepting or dropping) and in a chain, the
 * point on a packet's path where it is looked at (iptables-extensions(8)):
 *
 *   in ─▶ PREROUTING ─▶ routing ─▶ FORWARD ─▶ POSTROUTING ─▶ out
 *                          │                       ▲
 *                        INPUT ─▶ local process ─▶ OUTPUT
 *
 * On Debian 12 `iptables` is iptables-nft: the same commands, stored by the
 * kernel as nftables rules (nft list ruleset shows them). Every rule the
 * workbook adds carries a comment "workbook:OWNER" (the container's id, or
 * the bridge's name for shared rules), so `npm run clean` can find them; and
 * a table the workbook's first rule created goes again with its last rule
 * (tables.ts).
 */
import { pauseForTest } from '../test-pause.ts';
import { run } from './command.ts';
import { dropTablesWeMade, noteTable } from './tables.ts';

export interface Rule {
  readonly table: 'nat' | 'filter';
  readonly chain: string;
  /** Matches and target, as you would type them: ['-s', '10.200.1.0/24', '-j', 'MASQUERADE']. */
  readonly spec: readonly string[];
}

export const TAG = 'workbook';

function args(op: '-I' | '-C' | '-D', rule: Rule, owner: string): string[] {
  // -w: wait for the xtables lock if another iptables is running (a concurrent runner).
  return ['-w', '-t', rule.table, op, rule.chain, '-m', 'comment', '--comment', `${TAG}:${owner}`, ...rule.spec];
}

/** Inserts the rule at the top of its chain (-I): before any rule of the host that would drop or rewrite the packet first. */
export function insertRule(rule: Rule, owner: string): void {
  noteTable(rule.table);
  run('iptables', args('-I', rule, owner));
  if (rule.spec.includes('DNAT')) pauseForTest('after-dnat');
}

/** Whether the rule is there (-C, "check"): iptables exits 1 when it is not. */
export function hasRule(rule: Rule, owner: string): boolean {
  try {
    run('iptables', args('-C', rule, owner));
    return true;
  } catch {
    return false;
  }
}

/**
 * Deletes the rule (-D with the same words), if it is there: -D fails as -C
 * would when it is not (one iptables run instead of two).
 */
export function deleteRule(rule: Rule, owner: string): boolean {
  let there = true;
  try {
    run('iptables', args('-D', rule, owner));
  } catch {
    there = false;
  }
  dropTablesWeMade(TAG);
  return there;
}

/** The workbook's rules as iptables-save prints them: "-t nat -A POSTROUTING -s … -m comment --comment "workbook:wb0" -j MASQUERADE". */
export function savedWorkbookRules(): string[] {
  let saved: string;
  try {
    saved = run('iptables-save', []);
  } catch {
    return []; // iptables is not installed: then there are no rules of ours either
  }
  let table = '';
  const rules: string[] = [];
  for (const line of saved.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith('-A ') && ownerOf(line) !== undefined) rules.push(`-t ${table} ${line}`);
  }
  return rules;
}

/** The owner in a saved rule's comment: "wb0", or a container's id. */
export function ownerOf(savedRule: string): string | undefined {
  return new RegExp(`--comment "?${TAG}:([^" ]+)`).exec(savedRule)?.[1];
}

/** Deletes a rule given as savedWorkbookRules() prints it: the same words, with -D for -A (if -C still finds it). */
export function deleteSavedRule(savedRule: string): boolean {
  const words = splitWords(savedRule);
  const append = words.indexOf('-A');
  if (append < 0) throw new Error(`not a saved iptables rule: ${savedRule}`);
  const withOp = (op: string) => ['-w', ...words.slice(0, append), op, ...words.slice(append + 1)];
  let there = true;
  try {
    run('iptables', withOp('-C'));
  } catch {
    there = false; // gone meanwhile
  }
  if (there) run('iptables', withOp('-D'));
  dropTablesWeMade(TAG);
  return there;
}

/** Splits on spaces, keeping "double-quoted words" whole (iptables-save quotes comments). */
function splitWords(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!));
}
