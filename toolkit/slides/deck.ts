/**
 * A deck is one Markdown file; a line holding only `---` starts the next
 * slide. Two conventions on top of Markdown:
 *
 *   <!-- slide: title -->   on a slide's first line: a CSS class for it
 *   [[demo]]                alone in a paragraph: the chapter's live demo
 *
 * The page holds every slide; the script shows one at a time, and the
 * handout view (?print, or printing) shows them all.
 */
import type { MarkdownIt } from 'markdown-it';
import type { ChapterInfo } from '../chapters.ts';
import { commandLine, demoForChapter } from './demos.ts';
import { escapeHtml, renderPage } from './layout.ts';
import { relativeUrl, type RenderPlace } from './markdown.ts';

export interface DeckInfo {
  /** Absent for the intro deck. */
  chapter?: ChapterInfo;
  /** The chapter's lesson page in the site, if the lesson exists. */
  lessonPage?: string;
}

export function renderDeck(md: MarkdownIt, markdown: string, place: RenderPlace, info: DeckInfo): string {
  const slides = splitSlides(markdown);
  const title = info.chapter ? `Chapter ${info.chapter.number}: ${info.chapter.title}` : 'Build your own container';
  const sections = slides.map((text, i) => {
    const kind = /^\s*<!--\s*slide:\s*([\w -]+?)\s*-->/.exec(text)?.[1] ?? '';
    let html = md.render(text, { place });
    const chapter = info.chapter;
    // A function as the replacement, so that "$$" in the command stays "$$".
    if (chapter) html = html.replace('<p>[[demo]]</p>', () => demoControl(chapter.number));
    return `<section class="slide ${escapeHtml(kind)}" id="slide-${i + 1}" aria-label="slide ${i + 1} of ${slides.length}">
<div class="slide-body">
${html}</div>
${footer(place.page, title, info, i + 1, slides.length)}
</section>`;
  });
  const nav = `<nav class="deck-nav" aria-label="deck">
<a href="${relativeUrl(place.page, 'index.html')}">All decks</a>
<button type="button" data-go="prev" aria-label="previous slide">◀</button>
<span class="deck-position" aria-live="polite"></span>
<button type="button" data-go="next" aria-label="next slide">▶</button>
<a href="?print" data-handout>Handout</a>
<span class="deck-keys">← → space · Home End</span>
</nav>`;
  return renderPage({
    page: place.page,
    title,
    bodyClass: 'deck',
    body: `<main class="slides">\n${sections.join('\n')}\n</main>\n${nav}`,
    data: info.chapter ? { chapter: String(info.chapter.number) } : {},
  });
}

/** Splits on lines that are exactly `---`, except inside ``` fences. */
export function splitSlides(markdown: string): string[] {
  const slides: string[] = [];
  let current: string[] = [];
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) inFence = !inFence;
    if (!inFence && line.trim() === '---') {
      slides.push(current.join('\n'));
      current = [];
    } else {
      current.push(line);
    }
  }
  slides.push(current.join('\n'));
  return slides.filter((s) => s.trim() !== '');
}

/** The footer of each slide: where the lesson is, the command to try, the slide number. */
function footer(page: string, title: string, info: DeckInfo, n: number, total: number): string {
  const parts = [`<span class="footer-title">${escapeHtml(title)}</span>`];
  if (info.chapter) {
    const lesson = info.lessonPage
      ? `<a href="${relativeUrl(page, info.lessonPage)}">lesson</a>`
      : `<span>lesson: chapters/${escapeHtml(info.chapter.slug)}/README.md</span>`;
    parts.push(`<span class="footer-links">${lesson} · <code>npm run chapter ${info.chapter.number}</code></span>`);
  }
  parts.push(`<span class="footer-number">${n} / ${total}</span>`);
  return `<footer class="slide-footer">${parts.join('')}</footer>`;
}

/**
 * The "Run live demo" control. The command is printed as well, so the slide
 * still says what would run when the page is opened without the server, or
 * printed as a handout.
 */
function demoControl(chapter: number): string {
  const demo = demoForChapter(chapter);
  if (!demo) return '';
  return `<div class="demo" data-demo="${demo.id}">
<div class="demo-bar"><button type="button" class="demo-run" disabled>▶ Run live demo</button><span class="demo-state">Live demos need the slides server: <code>npm run slides</code></span></div>
<pre class="demo-command"><code>${escapeHtml(commandLine(demo))}</code></pre>
<p class="demo-watch">Watch for: ${escapeHtml(demo.watchFor)}</p>
<pre class="demo-output" aria-live="polite" aria-label="demo output"></pre>
</div>`;
}
