// ReplayWeb.page opening a WACZ made by `glaneur wacz`, in headless Chromium (Debian's,
// driven by playwright-core): the page list (from pages/pages.jsonl) shows the article's
// title, and the replayed article (found through the package's index) has that title.
//
// Run by scripts/ci-wacz.sh, which serves ReplayWeb.page's static files (index.html, ui.js,
// sw.js from the npm package) and the WACZ from one loopback origin and sets:
//   REPLAY_URL (that origin), WACZ_PATH (the package's path there), PAGE_URL and
//   PAGE_TITLE (an article of the package), SCREENSHOT_DIR, CHROMIUM (default
//   /usr/bin/chromium).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const base = process.env.REPLAY_URL;
const wacz = process.env.WACZ_PATH;
const pageUrl = process.env.PAGE_URL;
const title = process.env.PAGE_TITLE;
const shots = process.env.SCREENSHOT_DIR || os.tmpdir();
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
for (const [k, v] of Object.entries({ REPLAY_URL: base, WACZ_PATH: wacz, PAGE_URL: pageUrl, PAGE_TITLE: title })) {
  if (!v) {
    console.log(`FAIL missing environment variable ${k}`);
    process.exit(1);
  }
}

let failed = 0;
function check(name, ok, detail = '') {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} ${ok ? '' : detail}`);
  if (!ok) failed += 1;
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'glaneur-rwp-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
const offOrigin = [];
context.on('request', (r) => {
  const u = r.url();
  if (!u.startsWith(base) && !u.startsWith('data:') && !u.startsWith('blob:')) offOrigin.push(u);
});
const page = context.pages()[0] || (await context.newPage());

/** Text compared as shown: NFC, runs of white space (no-break spaces too) as one space. */
const norm = (t) => t.normalize('NFC').replace(/\s+/g, ' ').trim();

/** Waits until `fn` returns a truthy value (polling), or `ms` elapse. */
async function waitFor(fn, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn().catch(() => null);
    if (v) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  return null;
}

try {
  // 1. The page list of the package.
  const source = encodeURIComponent(`${base}${wacz}`);
  await page.goto(`${base}/?source=${source}#view=pages`);
  // Wait for the list itself first: ReplayWeb.page drops a query typed while it is still
  // building the list's search index (its filter returns early while one runs), which a
  // list of thousands of pages takes seconds to do.
  const listShown = await waitFor(async () => (await page.locator('a p').count()) > 0, 120000);
  check('the page list (pages.jsonl) is shown', !!listShown);
  // The list is long: search it for the article's title, as a user would (typing it again
  // when the list did not follow, as a user would too).
  const search = page.getByPlaceholder(/Search by Page URL/);
  // Matched words are highlighted one by one: compare the whole text of the result's
  // title paragraph.
  let shown = [];
  let listed = null;
  for (let attempt = 0; attempt < 4 && !listed; attempt += 1) {
    await search.fill('');
    await search.fill(title);
    listed = await waitFor(async () => {
      shown = (await page.locator('a p', { hasText: title.split(' ')[0] }).allTextContents())
        .map(norm);
      return shown.includes(norm(title));
    }, 20000);
  }
  check('the page list (pages.jsonl), searched, shows the article by its title', !!listed, `shown: ${JSON.stringify(shown)}`);
  await page.screenshot({ path: path.join(shots, 'rwp-pages.png') });

  // 2. The article replayed from the archive.
  // The index of a large package may still be loading when the page is first asked
  // for: the page is loaded again until its title shows, for up to four and a half minutes.
  let frame = null;
  let lastTitle = '';
  for (let attempt = 0; attempt < 6 && !(frame && frame.t.includes(title)); attempt += 1) {
    await page.goto('about:blank'); // a full load each time, not a change of hash
    await page.goto(`${base}/?source=${source}#view=replay&url=${encodeURIComponent(pageUrl)}`);
    frame = await waitFor(async () => {
      for (const f of page.frames()) {
        if (f.url().includes(`mp_/${pageUrl}`)) {
          const t = await f.title();
          if (t) lastTitle = t;
          if (t && t.includes(title)) return { f, t };
        }
      }
      return null;
    }, 45000);
  }
  if (!frame && lastTitle) frame = { t: lastTitle };
  check('the archived article is replayed', !!frame, `frames: ${page.frames().map((f) => f.url()).join(' ')}`);
  if (frame) {
    check('its title is the article title', frame.t.includes(title), `shown "${frame.t}"`);
  }
  await page.screenshot({ path: path.join(shots, 'rwp-replay.png') });
  check('nothing was requested off the loopback origin', offOrigin.length === 0, offOrigin.slice(0, 5).join(' '));
} catch (e) {
  check('no exception', false, String(e));
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
console.log(failed ? `replay: ${failed} check(s) FAILED` : 'replay: all checks passed');
process.exit(failed ? 1 : 0);
