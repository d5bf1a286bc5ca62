// Browser tests: Playwright drives Debian's Chromium (never a downloaded browser) with a
// fake camera, against a real `vouch` server on a fresh SQLite database and a real
// `fake-vendor` process playing Software Secure. `cargo xtask test` builds both binaries
// and sets VOUCH_BIN / VOUCH_FAKE_VENDOR_BIN / VOUCH_E2E_DATA; run it that way.
import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const port = Number(process.env.VOUCH_E2E_PORT ?? 8123);
const vendorPort = Number(process.env.VOUCH_E2E_VENDOR_PORT ?? 8124);
const dataDir = process.env.VOUCH_E2E_DATA ?? fs.mkdtempSync(path.join(os.tmpdir(), 'vouch-e2e-'));
const bin = process.env.VOUCH_BIN ?? path.resolve(__dirname, '../target/debug/vouch');
const vendorBin = process.env.VOUCH_FAKE_VENDOR_BIN ?? path.resolve(__dirname, '../target/debug/fake-vendor');

// Development-only vendor keys, made fresh for this run.
const keysDir = path.join(dataDir, 'keys');
if (!fs.existsSync(path.join(keysDir, 'vendor-public.pem'))) {
  execFileSync(bin, ['debug', 'gen-keys', '--out', keysDir], { stdio: 'ignore' });
}
const accessKey = 'e2e-access-key';
const secretKey = 'e2e-vendor-hmac-secret-key';
/// The LMS's HS256 key of the test server: the staff tests sign staff in with an Open edX
/// JWT cookie pair minted with it (dev login never signs in staff).
export const jwtSecret = 'e2e-lms-jwt-secret: browser tests only, 0123456789';

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
  webServer: [
    {
      // The verdict comes a second after the request, so the status page is seen pending first.
      command: `"${vendorBin}" --bind 127.0.0.1:${vendorPort} --callback-delay-ms 1000 --private-key "${path.join(keysDir, 'vendor-private.pem')}"`,
      url: `http://127.0.0.1:${vendorPort}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: { FAKE_VENDOR_ACCESS_KEY: accessKey, FAKE_VENDOR_SECRET_KEY: secretKey, FAKE_VENDOR_LOG: 'warn' },
    },
    {
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
        VOUCH_AUTH__JWT_SECRET: jwtSecret,
        VOUCH_SOFTWARE_SECURE__API_URL: `http://127.0.0.1:${vendorPort}/`,
        VOUCH_SOFTWARE_SECURE__API_ACCESS_KEY: accessKey,
        VOUCH_SOFTWARE_SECURE__API_SECRET_KEY: secretKey,
        VOUCH_SOFTWARE_SECURE__RSA_PUBLIC_KEY: fs.readFileSync(path.join(keysDir, 'vendor-public.pem'), 'utf8'),
        // Staff may open decrypted photos (the console's photo links); the development key only.
        VOUCH_SOFTWARE_SECURE__ALLOW_DECRYPT: 'true',
        VOUCH_SOFTWARE_SECURE__RSA_PRIVATE_KEY: fs.readFileSync(path.join(keysDir, 'vendor-private.pem'), 'utf8'),
        VOUCH_SOFTWARE_SECURE__RETRY_BASE_SECS: '1',
        VOUCH_JOBS__RETRY_BASE_SECS: '1',
        VOUCH_JOBS__POLL_INTERVAL_MS: '100',
        VOUCH_LOG: 'warn',
      },
    },
  ],
});
