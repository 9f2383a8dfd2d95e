/// <reference lib="dom" />
/**
 * In the browser: one slide at a time, scaled to fill the screen, moved with
 * the keyboard. Every slide is laid out at 1280×720 and scaled as a whole, so
 * what fits on the author's laptop fits on any projector.
 *
 * With ?print (the "Handout" link) or when printing, every slide is shown,
 * one per page.
 */
const WIDTH = 1280;
const HEIGHT = 720;

const NEXT = new Set(['ArrowRight', 'ArrowDown', 'PageDown', 'n']);
const PREV = new Set(['ArrowLeft', 'ArrowUp', 'PageUp', 'p']);

export function startDeck(): void {
  const slides = [...document.querySelectorAll<HTMLElement>('.slide')];
  if (slides.length === 0) return;
  if (new URLSearchParams(location.search).has('print')) {
    document.body.classList.add('handout');
    return;
  }
  const position = document.querySelector<HTMLElement>('.deck-position');
  let current = 0;

  const show = (index: number) => {
    current = Math.max(0, Math.min(slides.length - 1, index));
    slides.forEach((slide, i) => slide.classList.toggle('current', i === current));
    if (position) position.textContent = `${current + 1} / ${slides.length}`;
    // replaceState: moving through slides should not fill the Back button's history.
    history.replaceState(null, '', `#${current + 1}`);
  };

  const fit = () => {
    const scale = Math.min(window.innerWidth / WIDTH, window.innerHeight / HEIGHT);
    document.documentElement.style.setProperty('--scale', String(scale));
  };

  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    // Space and Enter on a focused button press it (Run live demo); they do not turn the page.
    const onControl = event.target instanceof HTMLElement && event.target.closest('button, a, input, textarea') !== null;
    let to: number | undefined;
    if (NEXT.has(event.key) || (event.key === ' ' && !event.shiftKey && !onControl)) to = current + 1;
    else if (PREV.has(event.key) || (event.key === ' ' && event.shiftKey && !onControl)) to = current - 1;
    else if (event.key === 'Home') to = 0;
    else if (event.key === 'End') to = slides.length - 1;
    else if (event.key === 'f') void document.documentElement.requestFullscreen?.();
    if (to === undefined) return;
    event.preventDefault();
    show(to);
  });
  for (const button of document.querySelectorAll<HTMLElement>('[data-go]')) {
    button.addEventListener('click', () => show(current + (button.dataset.go === 'next' ? 1 : -1)));
  }
  // The controls show while the mouse moves, and fade when it rests.
  let resting: number | undefined;
  document.addEventListener('mousemove', () => {
    document.body.classList.add('pointer');
    clearTimeout(resting);
    resting = window.setTimeout(() => document.body.classList.remove('pointer'), 2500);
  });
  window.addEventListener('resize', fit);
  window.addEventListener('hashchange', () => show(slideFromHash(slides.length)));
  fit();
  show(slideFromHash(slides.length));
}

/** "#3" → index 2; anything else → the first slide. */
function slideFromHash(count: number): number {
  const n = Number(location.hash.slice(1));
  return Number.isInteger(n) && n >= 1 && n <= count ? n - 1 : 0;
}
