// Loads a portscope report page in Debian's chromium (headless, no network, a
// fresh profile) and prints what a reader would see, as one JSON document on
// stdout; tests/integration/test_report.py compares it with the audit's --json.
//
//   node check-report.mjs PAGE.html SCREENSHOT.png
//
// Printed: console errors and page errors, every request other than the page,
// per run section its findings and exposure rows, its chart points and its
// changes, the fleet rows, the screenshot's pixel statistics, axe-core's
// serious and critical violations in the light and the dark scheme, whether
// sorting by a column works, and the row count without script.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const [pagePath, shotPath] = process.argv.slice(2);
if (!pagePath || !shotPath) {
  console.error('usage: node check-report.mjs PAGE.html SCREENSHOT.png');
  process.exit(2);
}
const pageUrl = 'file://' + path.resolve(pagePath);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

// A PNG (8-bit RGB or RGBA, not interlaced, as chromium writes them) into pixel statistics.
function pngStats(buf) {
  let off = 8, width = 0, height = 0, type = 0;
  const idat = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off), kind = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (kind === 'IHDR') {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error('unsupported PNG');
      type = data[9];
    } else if (kind === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const bpp = type === 6 ? 4 : 3, stride = width * bpp;
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const px = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)], src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? px[y * stride + x - bpp] : 0, b = y ? px[(y - 1) * stride + x] : 0;
      const c = x >= bpp && y ? px[(y - 1) * stride + x - bpp] : 0;
      let v = src[x];
      if (f === 1) v += a; else if (f === 2) v += b; else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) { const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c; }
      px[y * stride + x] = v & 0xff;
    }
  }
  const counts = new Map();
  for (let i = 0; i < px.length; i += bpp) {
    const k = (px[i] << 16) | (px[i + 1] << 8) | px[i + 2];
    counts.set(k, (counts.get(k) || 0) + 1);
  }
  const bg = Math.max(...counts.values());
  return { width, height, distinct_colors: counts.size, non_background: 1 - bg / (width * height) };
}

// What the page shows, read from its DOM.
function readPage() {
  const text = (e) => (e ? e.textContent.replace(/\s+/g, ' ').trim() : null);
  const cells = (tr) => Array.from(tr.cells).map(text);
  const runs = Array.from(document.querySelectorAll('section.run')).map((s) => ({
    id: Number(s.dataset.run),
    kind: s.dataset.kind,
    findings: Array.from(s.querySelectorAll('table.findings tbody tr')).map((tr) => {
      const c = cells(tr);
      return { check: tr.dataset.check, where: tr.dataset.where,
        severity: tr.closest('table').dataset.severity, owner: c[2], title: c[3],
        evidence: c[4], fix: c[5], reference: c[6] };
    }),
    exposure: Array.from(s.querySelectorAll('table.exposure tbody tr')).map((tr) => {
      const c = cells(tr);
      return { proto: tr.dataset.proto, port: Number(tr.dataset.port), address: tr.dataset.address,
        exposure: tr.dataset.exposure, mismatch: tr.classList.contains('mismatch'),
        socket: c[0], reachable_on: c[2], decided_by: c[3], service: c[4], process: c[5], user: c[6] };
    }),
    ports: Array.from(s.querySelectorAll('table.ports tbody tr')).map((tr) => ({
      proto: tr.dataset.proto, port: Number(tr.dataset.port), state: tr.dataset.state,
      mismatch: tr.classList.contains('mismatch'), cells: cells(tr) })),
    points_open: Array.from(s.querySelectorAll('svg.chart circle.pt-open')).map((c) => Number(c.dataset.run)),
    points_findings: Array.from(s.querySelectorAll('svg.chart circle.pt-findings')).map((c) => Number(c.dataset.run)),
    changes: Array.from(s.querySelectorAll('ul.changes li[data-change]')).map((li) => ({ change: li.dataset.change, text: text(li) })),
    mismatches: Array.from(s.querySelectorAll('ul.mismatches li')).map(text),
    cards: Array.from(s.querySelectorAll('ul.cards li')).map(text),
  }));
  const fleet = Array.from(document.querySelectorAll('table.fleet tbody tr')).map((tr) => ({ host: tr.dataset.host, cells: cells(tr) }));
  return { title: document.title, runs, fleet, scripts: document.scripts.length,
    rows: document.querySelectorAll('tbody tr').length };
}

async function run() {
  // launch() starts chromium on a fresh, empty profile of its own (--user-data-dir).
  const browser = await chromium.launch({
    executablePath: chromiumPath, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic', '--disable-extensions'],
  });
  const out = { console: [], requests: [] };
  try {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') out.console.push(m.type() + ': ' + m.text()); });
    page.on('pageerror', (e) => out.console.push('pageerror: ' + e.message));
    ctx.on('request', (r) => { if (r.url() !== pageUrl) out.requests.push(r.url()); });
    await page.goto(pageUrl, { waitUntil: 'load' });
    Object.assign(out, await page.evaluate(readPage));
    const shot = await page.screenshot({ path: shotPath, fullPage: false });
    out.screenshot = pngStats(shot);

    // Sorting: the first sortable table with a numeric column, by that column, both ways.
    out.sort = await page.evaluate(() => {
      for (const t of document.querySelectorAll('table.sortable')) {
        const ths = Array.from(t.tHead.rows[0].cells);
        const i = ths.findIndex((th) => th.classList.contains('num'));
        if (i < 0 || t.tBodies[0].rows.length < 2) continue;
        const col = () => Array.from(t.tBodies[0].rows).map((r) => Number(r.cells[i].textContent));
        const button = ths[i].querySelector('button.sort');
        if (!button) return { ok: false, why: 'no sort button' };
        button.click();
        const up = col();
        button.click();
        const down = col();
        const asc = up.every((v, k) => !k || up[k - 1] <= v), desc = down.every((v, k) => !k || down[k - 1] >= v);
        return { ok: asc && desc, table: t.className, column: ths[i].textContent, rows: up.length,
          aria: ths[i].getAttribute('aria-sort') };
      }
      return { ok: null, why: 'no sortable numeric column with two rows' };
    });

    // axe-core in both colour schemes: serious and critical violations only.
    out.axe = {};
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.evaluate(axeSource);
      const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
      out.axe[scheme] = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
    }
    // Printable: the print style sheet lays it out on paper.
    await page.emulateMedia({ colorScheme: 'light', media: 'print' });
    out.print_pdf_bytes = (await page.pdf({ format: 'A4' })).length;

    // Without script: the same rows are there.
    const plain = await browser.newContext({ javaScriptEnabled: false });
    const p2 = await plain.newPage();
    await p2.goto(pageUrl, { waitUntil: 'load' });
    out.nojs_rows = await p2.locator('tbody tr').count();
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

run().catch((e) => { console.error(e && e.stack || String(e)); process.exit(1); });
