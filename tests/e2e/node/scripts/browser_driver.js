// Headless Chromium driver for the Python tests (tests/support/browser.py).
//
// Protocol: JSON lines. Each request on stdin is {"id": N, "cmd": C, ...}; each answer on stdout is
// {"id": N, "ok": true, "result": R} or {"id": N, "ok": false, "error": "text"}. Unsolicited lines
// carry "event" instead of "id": {"event": "console", "page": P, "type": T, "text": S},
// {"event": "pageerror", "page": P, "text": S}, {"event": "ready"} once the browser is up.
//
// Commands:
//   open       {url}                          -> page id (string)
//   eval       {page, expr}                   -> JSON value of the (awaited) expression
//   wait_for   {page, expr, timeout_ms}       -> JSON value of the first truthy result
//   screenshot {page, path, full_page?}       -> path
//   viewport   {page, width, height}          -> null
//   close      {page}                         -> null
//   quit       {}                             -> null, then the process exits
//
// Launch follows spec/media-e2e-feasibility.md: fake camera/mic, auto-granted permissions, loopback
// ICE candidates, self-signed certificates accepted, a fresh user-data-dir removed on exit.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--ignore-certificate-errors',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
];

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

async function main() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ovpy-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreHTTPSErrors: true,
    args: ARGS,
    viewport: { width: 800, height: 600 },
  });
  const pages = new Map();
  let nextPage = 1;

  const cleanup = async () => {
    try {
      await context.close();
    } catch (e) {
      // already gone
    }
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };

  async function handle(req) {
    switch (req.cmd) {
      case 'open': {
        const page = await context.newPage();
        const id = String(nextPage++);
        pages.set(id, page);
        page.on('console', (msg) => emit({ event: 'console', page: id, type: msg.type(), text: msg.text() }));
        page.on('pageerror', (err) => emit({ event: 'pageerror', page: id, text: String(err && err.stack || err) }));
        await page.goto(req.url, { waitUntil: 'load', timeout: req.timeout_ms || 30000 });
        return id;
      }
      case 'eval': {
        const page = getPage(req.page);
        // The expression is wrapped so that a promise result is awaited and undefined becomes null.
        return await page.evaluate(
          async (expr) => {
            // eslint-disable-next-line no-eval
            const value = await (0, eval)(expr);
            return value === undefined ? null : JSON.parse(JSON.stringify(value));
          },
          req.expr,
        );
      }
      case 'wait_for': {
        // Polled from here with page.evaluate (not page.waitForFunction, whose in-page polling evaluates the
        // string with eval, which a page's Content-Security-Policy may forbid).
        const page = getPage(req.page);
        const deadline = Date.now() + (req.timeout_ms || 30000);
        for (;;) {
          const value = await page.evaluate((expr) => {
            // eslint-disable-next-line no-eval
            const v = (0, eval)(expr);
            return v ? JSON.parse(JSON.stringify(v)) : false;
          }, req.expr);
          if (value) return value;
          if (Date.now() >= deadline) throw new Error('Timeout ' + (req.timeout_ms || 30000) + 'ms exceeded.');
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      case 'screenshot': {
        const page = getPage(req.page);
        await page.screenshot({ path: req.path, fullPage: !!req.full_page });
        return req.path;
      }
      case 'viewport': {
        await getPage(req.page).setViewportSize({ width: req.width, height: req.height });
        return null;
      }
      case 'close': {
        const page = getPage(req.page);
        pages.delete(req.page);
        await page.close();
        return null;
      }
      case 'quit':
        return null;
      default:
        throw new Error('unknown command ' + req.cmd);
    }
  }

  function getPage(id) {
    const page = pages.get(String(id));
    if (!page) throw new Error('no page ' + id);
    return page;
  }

  emit({ event: 'ready', version: context.browser() ? context.browser().version() : null });

  const rl = readline.createInterface({ input: process.stdin });
  let quitting = false;
  rl.on('line', (line) => {
    if (!line.trim()) return;
    let req;
    try {
      req = JSON.parse(line);
    } catch (e) {
      emit({ event: 'protocolError', text: String(e) });
      return;
    }
    handle(req).then(
      async (result) => {
        emit({ id: req.id, ok: true, result });
        if (req.cmd === 'quit' && !quitting) {
          quitting = true;
          await cleanup();
          process.exit(0);
        }
      },
      (err) => emit({ id: req.id, ok: false, error: String(err && err.message || err) }),
    );
  });
  rl.on('close', async () => {
    if (!quitting) {
      quitting = true;
      await cleanup();
      process.exit(0);
    }
  });
}

main().catch((err) => {
  emit({ event: 'fatal', text: String(err && err.stack || err) });
  process.exit(1);
});
