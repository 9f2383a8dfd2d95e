/**
 * A headless Chromium for the browser tests: Debian's own (apt-get install
 * chromium), driven by playwright-core. Nothing is downloaded: playwright's
 * browser builds are not used, and the flags below keep Chromium off the
 * network (no component updates, no sync, no background requests).
 *
 * The profile lives in /tmp/workbook-browser-<pid>-…: if a run is killed,
 * `npm run clean` recognises it by the dead PID and removes it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.WORKBOOK_CHROMIUM ?? '/usr/bin/chromium';

const FLAGS = [
  '--no-sandbox', // as root, Chromium's sandbox refuses to start
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Starts Chromium with a fresh, empty profile and a 1280×720 window: one slide, unscaled. */
export async function startChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (Debian's), or set WORKBOOK_CHROMIUM`);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), `workbook-browser-${process.pid}-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 720 },
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
