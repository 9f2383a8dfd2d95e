/**
 * Markdown → HTML for the site, with markdown-it and three small additions:
 *
 * - Links between the project's Markdown files keep working: a lesson's
 *   `../02-namespaces/README.md` becomes `../lessons/02-namespaces.html`
 *   in the site. A link to a file the site does not hold (a .ts file) stays
 *   as text, titled with its path in the repository.
 * - A diagram from docs/diagrams/ is inlined as SVG, so it scales with the
 *   slide and prints sharp. On GitHub the same Markdown shows it as an image.
 * - In shell code blocks, `# comments` are dimmed: the command stands out
 *   from the far end of the room.
 */
import fs from 'node:fs';
import path from 'node:path';
import markdownIt, { type MarkdownIt } from 'markdown-it';
import { PROJECT } from '../paths.ts';

export interface RenderPlace {
  /** The Markdown file, relative to the project: "chapters/02-namespaces/README.md". */
  source: string;
  /** The page it becomes, relative to the site: "lessons/02-namespaces.html". */
  page: string;
  /** Every page of the site: project-relative Markdown path → site-relative page. */
  pages: ReadonlyMap<string, string>;
}

const DIAGRAMS = 'docs/diagrams/';
const SHELL = new Set(['sh', 'bash', 'shell', 'console', '']);

export function createMarkdown(): MarkdownIt {
  const md = markdownIt({
    html: true, // decks use a little HTML for layout; all input is the project's own
    highlight: (code, lang) => (SHELL.has(lang) ? dimComments(code) : ''),
  });

  md.renderer.rules.link_open = (tokens, i, options, env, self) => {
    const token = tokens[i]!;
    const href = String(token.attrGet('href') ?? '');
    const place = placeOf(env);
    const target = resolveLocal(href, place);
    if (target !== null) {
      const [file, hash] = target;
      const page = place.pages.get(file);
      if (page) {
        token.attrSet('href', relativeUrl(place.page, page) + hash);
      } else {
        token.attrs = (token.attrs ?? []).filter(([name]) => name !== 'href');
        token.attrSet('class', 'repo-path');
        token.attrSet('title', `in the repository: ${file}`);
      }
    }
    return self.renderToken(tokens, i, options);
  };

  const plainImage = md.renderer.rules.image!;
  md.renderer.rules.image = (tokens, i, options, env, self) => {
    const token = tokens[i]!;
    const target = resolveLocal(String(token.attrGet('src') ?? ''), placeOf(env));
    if (target !== null && target[0].startsWith(DIAGRAMS) && target[0].endsWith('.svg')) {
      const svg = fs.readFileSync(path.join(PROJECT, target[0]), 'utf8').replace(/^<\?xml[^>]*>\s*/, '');
      const label = md.utils.escapeHtml(token.content);
      // A span, not a figure: markdown-it puts images inside <p>, which cannot hold a figure.
      return `<span class="diagram" role="img" aria-label="${label}">${svg}</span>`;
    }
    return plainImage(tokens, i, options, env, self);
  };

  // GitHub-style ids on headings, so "README.md#pick-a-provider" lands somewhere.
  md.core.ruler.push('heading_ids', (state) => {
    const used = new Set<string>();
    state.tokens.forEach((token, i) => {
      if (token.type !== 'heading_open') return;
      const base = slug(state.tokens[i + 1]?.content ?? '');
      let id = base;
      for (let n = 1; used.has(id); n++) id = `${base}-${n}`;
      used.add(id);
      token.attrSet('id', id);
    });
  });
  return md;
}

/** md.render(text, { place }): where the Markdown comes from and goes to. */
export function placeOf(env: unknown): RenderPlace {
  return (env as { place: RenderPlace }).place;
}

/** A relative link to a local file → [project-relative path, "#hash" or ""]; null for URLs and in-page anchors. */
function resolveLocal(href: string, env: RenderPlace): [string, string] | null {
  if (href === '' || href.startsWith('#') || /^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('/')) return null;
  const cut = href.indexOf('#');
  const file = cut < 0 ? href : href.slice(0, cut);
  const hash = cut < 0 ? '' : href.slice(cut);
  return [path.posix.normalize(path.posix.join(path.posix.dirname(env.source), decodeURI(file))), hash];
}

/** From one site page to another: relativeUrl("lessons/a.html", "decks/b.html") → "../decks/b.html". */
export function relativeUrl(fromPage: string, toPage: string): string {
  return path.posix.relative(path.posix.dirname(fromPage), toPage) || path.posix.basename(toPage);
}

export function slug(text: string): string {
  return text.toLowerCase().replace(/<[^>]+>/g, '').replace(/[^\p{L}\p{N}\s_-]/gu, '').trim().replace(/\s/g, '-');
}

function dimComments(code: string): string {
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return code
    .split('\n')
    .map((line) => {
      const at = line.search(/(^|\s)# /);
      if (at < 0) return escape(line);
      const start = line[at] === '#' ? at : at + 1;
      return `${escape(line.slice(0, start))}<span class="comment">${escape(line.slice(start))}</span>`;
    })
    .join('\n');
}
