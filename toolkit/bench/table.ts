/** The benchmark's table: median, min, max of the wall clock, peak RSS, and each workbook figure over runc's. */
export interface Figures {
  label: string;
  ms: number[];
  rssKiB: number[];
  /** user + system CPU time of the whole process tree (GNU time, 10 ms steps): steadier than wall time on a busy machine. */
  cpuMs: number[];
  workbook?: boolean;
  /** The goals (#14): at most this many times runc's median; a peak RSS of at most this many MiB. */
  goal?: { ratio: number; rssMiB?: number };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const ms = (v: number): string => (v < 10 ? v.toFixed(1) : v.toFixed(0)).padStart(6);

export function printTable(rows: readonly Figures[], rounds: number): void {
  const runc = rows.find((r) => r.label.startsWith('runc'));
  const runcMedian = runc ? median(runc.ms) : null;
  const runcCpu = runc && runc.cpuMs.length > 0 ? median(runc.cpuMs) : null;
  const width = Math.max(...rows.map((r) => r.label.length));
  console.log(`start to exit of /bin/true in ms (wall clock; CPU = user + system of the process tree), ${rounds} rounds alternating after a warm-up; workbook = the reference solution (--solution)`);
  console.log(`${'command'.padEnd(width)}  median    min    max  peak RSS  × runc    CPU  × runc`);
  for (const r of rows) {
    const m = median(r.ms);
    const rss = r.rssKiB.length > 0 ? `${(Math.max(...r.rssKiB) / 1024).toFixed(1)} MiB`.padStart(9) : '        –';
    const ratio = r.workbook && runcMedian ? `${(m / runcMedian).toFixed(2)}×`.padStart(7) : '       ';
    const cpu = r.cpuMs.length > 0 ? ms(median(r.cpuMs)) : '     –';
    const cpuRatio = r.workbook && runcCpu ? `${(median(r.cpuMs) / runcCpu).toFixed(2)}×`.padStart(7) : '';
    console.log(`${r.label.padEnd(width)}  ${ms(m)} ${ms(Math.min(...r.ms))} ${ms(Math.max(...r.ms))} ${rss} ${ratio} ${cpu} ${cpuRatio}`);
  }
  if (runcMedian === null) return;
  console.log('goals (issue #14), by wall clock:');
  for (const r of rows) {
    if (!r.goal) continue;
    const ratio = median(r.ms) / runcMedian;
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    const cpu = runcCpu && r.cpuMs.length > 0 ? ` (CPU: ${(median(r.cpuMs) / runcCpu).toFixed(2)}×)` : '';
    console.log(`  ${r.label}: ≤ ${r.goal.ratio}× runc — ${ratio.toFixed(2)}×, ${verdict(ratio <= r.goal.ratio)}${cpu}`);
    if (r.goal.rssMiB !== undefined && r.rssKiB.length > 0) {
      const rss = Math.max(...r.rssKiB) / 1024;
      console.log(`  ${r.label}: peak RSS ≤ ${r.goal.rssMiB} MiB — ${rss.toFixed(1)} MiB, ${verdict(rss <= r.goal.rssMiB)}`);
    }
  }
}
