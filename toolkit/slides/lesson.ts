/**
 * A chapter's lesson (its README.md) as a page of the site: the same text a
 * learner reads on GitHub or in an editor, with a bar on top that leads to the
 * chapter's deck and says how to run the chapter.
 */
import type { MarkdownIt } from 'markdown-it';
import type { ChapterInfo } from '../chapters.ts';
import { escapeHtml, renderPage } from './layout.ts';
import { relativeUrl, type RenderPlace } from './markdown.ts';

export function renderLesson(md: MarkdownIt, markdown: string, place: RenderPlace, chapter: ChapterInfo, deckPage: string | undefined): string {
  const links = [`<a href="${relativeUrl(place.page, 'index.html')}">All chapters</a>`];
  if (deckPage) links.push(`<a href="${relativeUrl(place.page, deckPage)}">Slides and live demo</a>`);
  links.push(`<code>npm run chapter ${chapter.number}</code>`);
  return renderPage({
    page: place.page,
    title: `Chapter ${chapter.number}: ${chapter.title}`,
    bodyClass: 'lesson',
    body: `<nav class="lesson-nav" aria-label="chapter">${links.join(' · ')}</nav>
<main class="lesson-text">
${md.render(markdown, { place })}</main>
<footer class="lesson-footer">Lesson ${chapter.number}, ${escapeHtml(chapter.title)}: ${escapeHtml(chapter.goal)}.</footer>`,
  });
}
