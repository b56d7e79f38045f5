/**
 * Debian's chromium, headless, driven by playwright-core (which downloads no browser): how the
 * console tests open noVNC pages. scripts/browser-setup.sh installs chromium.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = process.env.NOVA_TS_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser tests cannot run (for `skip`), or null. Throws when NOVA_TS_REQUIRE_LAB=1. */
export function whyNoChromium(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const why = `chromium not installed at ${CHROMIUM} (run scripts/browser-setup.sh as root)`;
  if (process.env.NOVA_TS_REQUIRE_LAB === '1') throw new Error(why);
  return why;
}

/** `--ignore-certificate-errors-spki-list` value of a PEM certificate: the base64 sha256 of its public key. */
export function spkiHash(certPem: Buffer | string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/**
 * A headless chromium with a fresh profile in `userDataDir`: no sandbox (root), no GPU, no
 * background traffic. `trustCertificate`: a (self-signed) PEM certificate chromium accepts, by
 * its key only; every other certificate is still checked.
 */
export async function launchChromium(userDataDir: string, opts: { trustCertificate?: Buffer } = {}): Promise<BrowserContext> {
  const { chromium } = await import('playwright-core');
  const trust = opts.trustCertificate ? [`--ignore-certificate-errors-spki-list=${spkiHash(opts.trustCertificate)}`] : [];
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1024, height: 600 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...trust,
    ],
  });
}

/** Waits until the noVNC page's `body[data-state]` (set by our vnc_lite page) is one of `states`; returns it. */
export async function waitForConsoleState(page: Page, states: string[], timeoutMs: number): Promise<string> {
  const wanted = JSON.stringify(states);
  // In-page code is a string: this project compiles without the DOM library.
  const handle = await page.waitForFunction(
    `(() => { const s = document.body ? document.body.dataset.state : ''; return ${wanted}.includes(s) ? s : null; })()`,
    undefined,
    { timeout: timeoutMs, polling: 100 },
  );
  return (await handle.jsonValue()) as string;
}

export interface CanvasStats {
  width: number;
  height: number;
  /** Distinct colours (sampled on every pixel). */
  colours: number;
  nonBlack: number;
  /** Pixels clearly blue (b high, r and g low). */
  bluish: number;
}

/** What noVNC's canvas currently shows, read back in the page (its 2D context is not tainted). */
export function canvasStats(page: Page): Promise<CanvasStats> {
  return page.evaluate(`(() => {
    const canvas = document.querySelector('#screen canvas');
    if (!canvas || canvas.width === 0 || canvas.height === 0) return { width: 0, height: 0, colours: 0, nonBlack: 0, bluish: 0 };
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = new Set();
    let nonBlack = 0;
    let bluish = 0;
    for (let i = 0; i < data.length; i += 4) {
      const r = data[i], g = data[i + 1], b = data[i + 2];
      colours.add((r << 16) | (g << 8) | b);
      if (r + g + b > 30) nonBlack++;
      if (b > 120 && r < 80 && g < 80) bluish++;
    }
    return { width: canvas.width, height: canvas.height, colours: colours.size, nonBlack, bluish };
  })()`);
}
