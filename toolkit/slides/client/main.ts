/// <reference lib="dom" />
/** The site's one script (bundled by build.ts into assets/slides.js). */
import { startDemos } from './demo.ts';
import { startDeck } from './navigation.ts';

if (document.body.classList.contains('deck')) {
  startDeck();
  void startDemos();
}
