// Shared by the slot-*.spec.ts browser tests (and example-plugin.spec.ts): start our own
// `vouch` (or another binary built on Vouch) and `fake-vendor` processes (ports 8100–8199,
// own temp data dir, configured through VOUCH_* env), sign in.
import { expect, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const vouchBin = process.env.VOUCH_BIN ?? path.resolve(__dirname, '../../target/debug/vouch');
export const vendorBin = process.env.VOUCH_FAKE_VENDOR_BIN ?? path.resolve(__dirname, '../../target/debug/fake-vendor');
export const distDir = path.resolve(__dirname, '../../dist');

export const hostedKey = 'slot-e2e-hosted-api-key';
export const hostedSecret = 'slot-e2e-hosted-webhook-secret-of-32-bytes-or-more';

const children: ChildProcess[] = [];
const dataDirs: string[] = [];

async function waitFor(url: string, what: string) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start (${url})`);
}

function start(bin: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

/// Starts `vouch serve` on `port` with a fresh SQLite database and `env` on top; `build`
/// names another server binary built on Vouch and the SPA bundle it serves.
export async function startVouch(
  port: number,
  env: Record<string, string>,
  build: { bin: string; dist: string } = { bin: vouchBin, dist: distDir },
): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vouch-slot-'));
  dataDirs.push(dir);
  const base = `http://127.0.0.1:${port}`;
  start(build.bin, ['serve'], {
    VOUCH_SERVER__BIND: `127.0.0.1:${port}`,
    VOUCH_SERVER__PUBLIC_URL: base,
    VOUCH_SERVER__STATIC_DIR: build.dist,
    VOUCH_DATABASE__URL: `sqlite://${dir}/vouch.db?mode=rwc`,
    VOUCH_VAULT__LOCAL_DIR: `${dir}/photos`,
    VOUCH_AUTH__DEV_LOGIN: 'true',
    VOUCH_JOBS__POLL_INTERVAL_MS: '100',
    VOUCH_LOG: 'warn',
    ...env,
  });
  await waitFor(`${base}/readyz`, 'vouch');
  return base;
}

/// Starts `fake-vendor hosted` on `port`.
export async function startHostedVendor(port: number, extra: string[] = []): Promise<string> {
  start(vendorBin, ['hosted', '--bind', `127.0.0.1:${port}`, '--decision-delay-ms', '1500', ...extra], {
    FAKE_HOSTED_API_KEY: hostedKey,
    FAKE_HOSTED_WEBHOOK_SECRET: hostedSecret,
    FAKE_VENDOR_LOG: 'warn',
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/healthz`, 'fake-vendor hosted');
  return base;
}

/// The env that makes Vouch use the hosted vendor at `vendor`.
export function hostedEnv(vendor: string, display: 'iframe' | 'redirect'): Record<string, string> {
  return {
    VOUCH_IDV__VENDOR: 'hosted',
    VOUCH_IDV__HOSTED_API_URL: vendor,
    VOUCH_IDV__HOSTED_API_KEY: hostedKey,
    VOUCH_IDV__HOSTED_WEBHOOK_SECRET: hostedSecret,
    VOUCH_IDV__HOSTED_DISPLAY: display,
  };
}

export async function stopAll() {
  const running = children.splice(0);
  const exits = running.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r))));
  for (const c of running) c.kill('SIGTERM');
  await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 5_000))]);
  for (const d of dataDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export async function signIn(page: Page, base: string, username: string) {
  await page.goto(`${base}/id-verification`);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.getByLabel('Username').fill(username);
  await page.getByRole('button', { name: 'Sign in (development)' }).click();
}

export const unique = (name: string) => `${name}_${Date.now().toString(36)}`;
