// End-to-end test of `glaneur serve` in a real headless browser (Debian's Chromium,
// driven by playwright-core): open the overview, search a word, open the article found,
// open its capture; check what is shown, that the archived page's scripts did not run
// and that nothing was requested from anywhere but the glaneur server.
//
// Run by scripts/browser-test.sh, which crawls a generated site, starts the server and
// sets:  GLANEUR_URL (the server), EXPECT_FILE (JSON: word, url, title, articles,
// categories), SCREENSHOT_DIR, CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const base = process.env.GLANEUR_URL;
const shots = process.env.SCREENSHOT_DIR;
const expected = JSON.parse(fs.readFileSync(process.env.EXPECT_FILE, 'utf8'));
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

let passed = 0;
let failed = 0;
const saved = [];
function check(name, ok, detail = '') {
  if (ok) {
    passed += 1;
    console.log(`ok   ${name}`);
  } else {
    failed += 1;
    console.log(`FAIL ${name} ${detail}`);
  }
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'glaneur-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
const requests = [];
context.on('request', (r) => requests.push(r.url()));
const page = context.pages()[0] || (await context.newPage());
const consoleErrors = [];
page.on('pageerror', (e) => consoleErrors.push(String(e)));

async function shot(name) {
  const file = path.join(shots, name);
  await page.screenshot({ path: file, fullPage: true });
  saved.push(file);
}

try {
  // 1. Overview.
  await page.goto(`${base}/`);
  check('overview title', (await page.locator('h1').first().textContent()).includes('Archive overview'));
  const total = (await page.locator('#total-articles').textContent()).trim();
  check('overview counts every article of truth.jsonl', total === String(expected.articles), `shown ${total}, truth ${expected.articles}`);
  const bars = await page.locator('svg.chart rect.bar').count();
  check('captures-per-day chart drawn', bars >= 1, `bars: ${bars}`);
  for (const [name, count] of Object.entries(expected.categories)) {
    const row = page.locator('table.counts tr', { has: page.locator(`a:text-is("${name}")`) });
    const shown = (await row.locator('td.num').first().textContent().catch(() => '')).trim();
    check(`category ${name}: ${count} articles`, shown === String(count), `shown ${shown}`);
  }
  check('integrity column present', (await page.locator('table.files tbody tr').count()) >= 1);
  await shot('overview.png');

  // 2. Search a word found in one article only.
  await page.fill('header form.quick input[name=q]', expected.word);
  await Promise.all([page.waitForURL(/\/search\?/), page.press('header form.quick input[name=q]', 'Enter')]);
  const count = await page.locator('#result-count').textContent();
  check('search answers', /result\(s\)/.test(count), count);
  const first = page.locator('li.result a.title').first();
  const firstTitle = (await first.textContent()).trim();
  check('the article is the first result', firstTitle === expected.title, `first: ${firstTitle}`);
  const marks = await page.locator('li.result').first().locator('mark').allTextContents();
  check('the word is highlighted in the snippet',
    marks.some((m) => m.toLowerCase() === expected.word.toLowerCase()), JSON.stringify(marks));
  await shot('search.png');

  // 3. The article.
  await Promise.all([page.waitForURL(/\/articles\/[0-9a-f]{16}/), first.click()]);
  const h1 = (await page.locator('#article-title').textContent()).trim();
  check('article title', h1 === expected.title, h1);
  const fields = await page.locator('#fields tbody tr').allTextContents();
  check('extracted fields with their methods',
    fields.some((f) => f.startsWith('title')) && fields.some((f) => f.startsWith('published')),
    JSON.stringify(fields.slice(0, 4)));
  const methods = await page.locator('#fields td.method').allTextContents();
  check('every field names its method', methods.length > 0 && methods.every((m) => m.trim() !== ''), JSON.stringify(methods));
  const body = await page.locator('#body').textContent();
  check('body shown', body.includes(expected.word), 'word missing from body');
  const captures = await page.locator('#history table.captures tbody tr').count();
  check('capture history listed', captures >= 1, `${captures}`);
  await shot('article.png');

  // 4. Its capture, the archived page in a sandboxed frame.
  const capLink = page.locator('#history table.captures tbody tr a').first();
  await Promise.all([page.waitForURL(/\/capture\?/), capLink.click()]);
  const iframe = page.locator('iframe.replay');
  check('sandboxed iframe without allow-scripts', (await iframe.getAttribute('sandbox')) === '');
  const frameEl = await iframe.elementHandle();
  const frame = await frameEl.contentFrame();
  await frame.waitForLoadState('load');
  const archivedTitle = (await frame.locator('h1.entry-title').textContent()).trim();
  check('archived page shown in the frame', archivedTitle === expected.title, archivedTitle);
  // The page's own inline script sets window._wpemojiSettings; the hostile one added by
  // the test marks the body and the title. Neither may have run.
  const pwned = await frame.locator('body').getAttribute('data-pwned');
  check('hostile script did not run (body)', pwned === null, `data-pwned=${pwned}`);
  const frameTitle = await frame.title();
  check('hostile script did not run (title)', frameTitle !== 'PWNED', frameTitle);
  // (DevTools evaluation works in a sandboxed frame; where the script ran this is 'object'.)
  const ranInline = await frame.evaluate(() => typeof window._wpemojiSettings);
  check("page's inline script did not run", ranInline === 'undefined', ranInline);
  const headers = await page.locator('table.headers').first().textContent();
  check('HTTP headers shown', /content-type/i.test(headers), headers.slice(0, 80));
  check('no script error in the interface', consoleErrors.length === 0, consoleErrors.join('; '));
  await shot('capture.png');

  // 5. Clicking a link inside the archived page stays in the archive.
  const link = frame.locator('a[href*="/category/"]').first();
  const href = await link.getAttribute('href');
  check('links inside the archived page point to the archive', href && href.startsWith('/replay/'), href);

  // 6. Nothing left the glaneur server.
  const outside = requests.filter((u) => !u.startsWith(base) && !u.startsWith('data:') && !u.startsWith('about:'));
  check('no request outside the glaneur server', outside.length === 0, outside.slice(0, 5).join(' '));
  check('archived style sheets served from the archive',
    requests.some((u) => u.includes('/replay/') && u.includes('.css')), 'no replayed CSS request');
} catch (e) {
  failed += 1;
  console.log(`FAIL unexpected error: ${e.stack || e}`);
  await shot('failure.png').catch(() => {});
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}

for (const f of saved) console.log(`screenshot: ${f}`);
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
