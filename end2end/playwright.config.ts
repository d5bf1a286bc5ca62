// Browser tests: Playwright drives Debian's Chromium (never a downloaded browser) with a
// fake camera, against a real `vouch` server on a fresh SQLite database.
// `cargo xtask test` builds the SPA and the server and sets VOUCH_BIN; run it that way.
import { defineConfig } from '@playwright/test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const port = Number(process.env.VOUCH_E2E_PORT ?? 8123);
const dataDir = process.env.VOUCH_E2E_DATA ?? fs.mkdtempSync(path.join(os.tmpdir(), 'vouch-e2e-'));
const bin = process.env.VOUCH_BIN ?? path.resolve(__dirname, '../target/debug/vouch');

export const chromiumArgs = [
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    headless: true,
    launchOptions: { executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: chromiumArgs },
    trace: 'retain-on-failure',
  },
  webServer: {
    command: `"${bin}" serve`,
    url: `http://127.0.0.1:${port}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      VOUCH_SERVER__BIND: `127.0.0.1:${port}`,
      VOUCH_SERVER__PUBLIC_URL: `http://127.0.0.1:${port}`,
      VOUCH_SERVER__STATIC_DIR: path.resolve(__dirname, '../dist'),
      VOUCH_DATABASE__URL: `sqlite://${dataDir}/vouch.db?mode=rwc`,
      VOUCH_VAULT__LOCAL_DIR: `${dataDir}/photos`,
      VOUCH_AUTH__DEV_LOGIN: 'true',
      VOUCH_LOG: 'warn',
    },
  },
});
