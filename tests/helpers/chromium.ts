import sparticuz from '@sparticuz/chromium';
import { chromium, type Browser } from 'playwright-core';

/**
 * Headless Chromium from the npm registry: @sparticuz/chromium ships the binary inside the package
 * (unpacked on first use), so `npm install` brings it on a machine with no system browser;
 * playwright-core drives it. Background services off: the tests use loopback only.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: await sparticuz.executablePath(),
    headless: true,
    args: [
      ...sparticuz.args,
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-default-apps',
      '--disable-sync',
      '--disable-dev-shm-usage',
      '--no-first-run',
    ],
  });
}
