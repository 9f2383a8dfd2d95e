/**
 * Builds the static site from the project's Markdown:
 *
 *   build/site/index.html               the decks and lessons, in chapter order
 *   build/site/decks/00-intro.html      docs/decks/*.md, one page per deck
 *   build/site/lessons/<slug>.html      chapters/<slug>/README.md
 *   build/site/instructors.html         docs/README.md
 *   build/site/assets/                  site.css, and slides.js (the browser code, bundled)
 *
 * Decks and lessons are taken from the chapter manifest (toolkit/chapters.ts)
 * when their files exist, so a chapter joins the site as soon as it is written.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { CHAPTERS, lessonFile } from '../chapters.ts';
import { PROJECT } from '../paths.ts';
import { renderDeck } from './deck.ts';
import { escapeHtml, renderPage } from './layout.ts';
import { renderLesson } from './lesson.ts';
import { createMarkdown, relativeUrl, type RenderPlace } from './markdown.ts';

export const SITE_DIR = path.join(PROJECT, 'build', 'site');
const INTRO = 'docs/decks/00-intro.md';
const GUIDE = 'docs/README.md';

export interface BuiltSite {
  dir: string;
  decks: string[];
  lessons: string[];
}

export async function buildSite(dir: string = SITE_DIR): Promise<BuiltSite> {
  const exists = (file: string) => fs.existsSync(path.join(PROJECT, file));
  const read = (file: string) => fs.readFileSync(path.join(PROJECT, file), 'utf8');
  const chapters = CHAPTERS.map((chapter) => ({
    chapter,
    deck: `docs/decks/${chapter.slug}.md`,
    lesson: path.relative(PROJECT, lessonFile(chapter)),
  }));

  // Every page first, so that links between them can be rewritten.
  const pages = new Map<string, string>([['README.md', 'index.html']]);
  if (exists(GUIDE)) pages.set(GUIDE, 'instructors.html');
  if (exists(INTRO)) pages.set(INTRO, 'decks/00-intro.html');
  for (const { chapter, deck, lesson } of chapters) {
    if (exists(deck)) pages.set(deck, `decks/${chapter.slug}.html`);
    if (exists(lesson)) pages.set(lesson, `lessons/${chapter.slug}.html`);
  }

  fs.rmSync(dir, { recursive: true, force: true });
  const md = createMarkdown();
  const write = (page: string, html: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, page)), { recursive: true });
    fs.writeFileSync(path.join(dir, page), html);
  };
  const place = (source: string): RenderPlace => ({ source, page: pages.get(source)!, pages });

  if (pages.has(INTRO)) write(pages.get(INTRO)!, renderDeck(md, read(INTRO), place(INTRO), {}));
  for (const { chapter, deck, lesson } of chapters) {
    if (pages.has(deck)) write(pages.get(deck)!, renderDeck(md, read(deck), place(deck), { chapter, lessonPage: pages.get(lesson) }));
    if (pages.has(lesson)) write(pages.get(lesson)!, renderLesson(md, read(lesson), place(lesson), chapter, pages.get(deck)));
  }
  if (pages.has(GUIDE)) {
    write('instructors.html', renderPage({ page: 'instructors.html', title: 'Running the workshop', bodyClass: 'lesson',
      body: `<nav class="lesson-nav"><a href="index.html">All chapters</a></nav>\n<main class="lesson-text">\n${md.render(read(GUIDE), { place: place(GUIDE) })}</main>` }));
  }
  write('index.html', renderIndex(pages, chapters));
  await writeAssets(dir);
  return {
    dir,
    decks: [...pages.entries()].filter(([source]) => source.startsWith('docs/decks/')).map(([, page]) => page),
    lessons: [...pages.values()].filter((page) => page.startsWith('lessons/')),
  };
}

function renderIndex(pages: ReadonlyMap<string, string>, chapters: { chapter: (typeof CHAPTERS)[number]; deck: string; lesson: string }[]): string {
  const link = (source: string, text: string) =>
    pages.has(source) ? `<a href="${relativeUrl('index.html', pages.get(source)!)}">${text}</a>` : `<span class="missing">${text} (being written)</span>`;
  const rows = chapters.map(({ chapter, deck, lesson }) => `<tr><td>${chapter.number}</td><td><strong>${escapeHtml(chapter.title)}</strong><br><span class="goal">${escapeHtml(chapter.goal)}</span></td><td>${link(deck, 'slides')}</td><td>${link(lesson, 'lesson')}</td><td><code>npm run chapter ${chapter.number}</code></td></tr>`);
  return renderPage({
    page: 'index.html',
    title: 'Build your own container — workshop',
    bodyClass: 'index',
    body: `<main class="index-page">
<h1>Build your own container</h1>
<p class="lead">A container is a process with walls. One wall per chapter, built by hand in TypeScript against the real kernel.</p>
<p>${link(INTRO, 'Start: the introduction deck')}${pages.has(GUIDE) ? ` · ${link(GUIDE, 'running the workshop')}` : ''}</p>
<table class="chapters"><thead><tr><th>#</th><th>Chapter</th><th>Deck</th><th>Lesson</th><th>Run it</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
<p class="hint">Live demos run when the site is served by <code>npm run slides</code> (as root, on this machine or in the VM). In a deck: ← → or space to move, Home and End, and “Handout” for a printable view.</p>
</main>`,
  });
}

/** The style sheet as written, and the browser code bundled into one classic script (it works from file:// too). */
async function writeAssets(dir: string): Promise<void> {
  fs.mkdirSync(path.join(dir, 'assets'), { recursive: true });
  fs.copyFileSync(path.join(PROJECT, 'docs/assets/site.css'), path.join(dir, 'assets/site.css'));
  await esbuild.build({
    entryPoints: [path.join(PROJECT, 'toolkit/slides/client/main.ts')],
    outfile: path.join(dir, 'assets/slides.js'),
    bundle: true,
    format: 'iife',
    target: 'es2020',
    logLevel: 'warning',
  });
}
