/** The class report: a CSV for spreadsheets and a self-contained HTML table (learner × chapter) with each learner's failures. */
import type { LearnerGrade } from './class.ts';

export function classCsv(grades: readonly LearnerGrade[], slugs: readonly string[]): string {
  const rows = [['learner', ...slugs, 'total', 'max', 'problem']];
  for (const g of grades) {
    const points = slugs.map((slug) => g.report?.chapters.find((c) => c.chapter === slug)?.points.earned ?? 0);
    rows.push([g.learner, ...points.map(String), String(g.report?.points.earned ?? 0), String(g.report?.points.max ?? ''), g.problem ?? '']);
  }
  return `${rows.map((r) => r.map(csvField).join(',')).join('\n')}\n`;
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function classHtml(grades: readonly LearnerGrade[], slugs: readonly string[], at: string): string {
  const head = `<tr><th>learner</th>${slugs.map((s) => `<th>${html(s)}</th>`).join('')}<th>total</th></tr>`;
  const body = grades.map((g, i) => {
    const cells = slugs.map((slug) => {
      const c = g.report?.chapters.find((x) => x.chapter === slug);
      if (!c) return '<td class="none">–</td>';
      const full = c.passed === c.total && c.total > 0;
      return `<td class="${full ? 'full' : c.passed > 0 ? 'part' : 'zero'}">${c.points.earned}/${c.points.max}<br><small>${c.passed}/${c.total} checks</small></td>`;
    }).join('');
    const total = g.report ? `${g.report.points.earned}/${g.report.points.max}` : html(g.problem ?? 'not graded');
    return `<tr><th><a href="#learner-${i}">${html(g.learner)}</a></th>${cells}<td>${total}</td></tr>`;
  }).join('\n');
  const details = grades.map((g, i) => {
    const failures = (g.report?.chapters ?? []).flatMap((c) => c.checks.filter((k) => k.status === 'failed').map((k) => `<li><b>${html(c.chapter)}</b> — ${html(k.name)}${k.given ? ' <i>(given)</i>' : ''}<pre>${html(k.message ?? '')}</pre></li>`));
    const problem = g.problem ? `<p class="problem">${html(g.problem)}</p>` : '';
    return `<section id="learner-${i}"><h2>${html(g.learner)}</h2><p><small>${html(g.checkout)} · graded in ${g.seconds} s</small></p>${problem}${failures.length ? `<ul>${failures.join('')}</ul>` : '<p>No failed checks.</p>'}</section>`;
  }).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Class report</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.4em .7em;text-align:center}
th:first-child{text-align:left}.full{background:#d8f5d8}.part{background:#fdf0c8}.zero{background:#f8d7d7}.none{color:#999}
pre{background:#f6f6f6;padding:.5em;white-space:pre-wrap}.problem{color:#a00}small{color:#666}
</style></head><body>
<h1>Class report</h1><p><small>${html(at)}</small></p>
<table>${head}
${body}</table>
${details}
</body></html>
`;
}

function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
