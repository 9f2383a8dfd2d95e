/**
 * The HTML around every page of the site. Everything is local: one style
 * sheet, one script, no fonts or libraries from elsewhere, so the site works
 * from a USB stick, from file://, or from the slides server.
 */
import { relativeUrl } from './markdown.ts';

export interface PageShell {
  /** Where the page goes in the site: "decks/02-namespaces.html". */
  page: string;
  title: string;
  bodyClass: 'deck' | 'lesson' | 'index';
  body: string;
  /** data-* attributes for <body>, read by the script. */
  data?: Record<string, string>;
}

export function renderPage(shell: PageShell): string {
  const asset = (name: string) => relativeUrl(shell.page, `assets/${name}`);
  const data = Object.entries(shell.data ?? {}).map(([k, v]) => ` data-${k}="${escapeHtml(v)}"`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(shell.title)}</title>
<link rel="stylesheet" href="${asset('site.css')}">
<script defer src="${asset('slides.js')}"></script>
</head>
<body class="${shell.bodyClass}"${data}>
${shell.body}
</body>
</html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
