// The walking skeleton's slice, in a real browser: sign in (dev), read the requirements,
// let the fake camera play, capture a face photo, submit it, and see "pending" — then
// check the attempt through the server, and that another learner does not see it.
import { test, expect, type Page } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';

const shots = path.resolve(__dirname, '../screenshots');
fs.mkdirSync(shots, { recursive: true });
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

async function status(page: Page): Promise<string> {
  const res = await page.request.post('/sfn/verification_status');
  expect(res.status()).toBe(200);
  return (await res.json()).status;
}

/// Reloads the status page until it shows `expected` (the vendor answers asynchronously).
async function waitForStatus(page: Page, expected: string) {
  await expect
    .poll(async () => {
      await page.goto('/id-verification/status');
      return page.locator('[data-status]').getAttribute('data-status');
    }, { timeout: 30_000, intervals: [250, 500, 1000] })
    .toBe(expected);
}

/// Takes a photo with the fake camera on the current capture panel and accepts it.
async function capture(page: Page, shotName: string) {
  const video = page.locator('video');
  await expect(page.locator('#take-photo')).toBeEnabled();
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.videoWidth)).toBeGreaterThan(0);
  await shot(page, `${shotName}-camera`);
  await page.locator('#take-photo').click();
  const photo = page.locator('#captured-photo');
  await expect(photo).toBeVisible();
  expect(await photo.getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/);
  await shot(page, `${shotName}-captured`);
  await page.locator('#use-photo').click();
}

async function signIn(page: Page, username: string) {
  await page.goto('/id-verification');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.getByLabel('Username').fill(username);
  await page.getByRole('button', { name: 'Sign in (development)' }).click();
}

async function walkTheFlow(page: Page) {
  await expect(page.getByRole('heading', { name: 'Before you start' })).toBeVisible();
  await shot(page, 'requirements');
  await page.getByRole('button', { name: 'Start' }).click();
  await capture(page, 'face');
  await expect(page.getByRole('heading', { name: 'Take a photo of your ID' })).toBeVisible();
  await capture(page, 'id');
  await expect(page.getByRole('heading', { name: 'Review and submit' })).toBeVisible();
  await expect(page.locator('#face-photo')).toBeVisible();
  await expect(page.locator('#id-photo')).toBeVisible();
  await shot(page, 'review');
  await page.locator('#submit').click();
  await expect(page).toHaveURL(/\/id-verification\/status$/);
}

test('a learner verifies with the camera: pending, then approved by the vendor', async ({ page, browser }) => {
  const suffix = Date.now().toString(36);
  await signIn(page, `ada_${suffix}`);
  expect(await status(page)).toBe('none');
  await walkTheFlow(page);
  // Read back right after submitting: pending until the vendor's callback arrives.
  await expect(page.locator('[data-status]')).toHaveAttribute('data-status', 'pending');
  await shot(page, 'status-pending');

  // The fake vendor fetches and decrypts both photos, then calls back: approved. The page
  // reads the status again by itself while it is pending: no reload.
  await expect(page.locator('[data-status]')).toHaveAttribute('data-status', 'approved', { timeout: 30_000 });
  await expect(page.locator('[role="status"]')).toHaveText(/verified/);
  await shot(page, 'status-approved');
  expect(await status(page)).toBe('approved');

  // A second learner sees nothing of the first one's attempt.
  const other = await browser.newContext();
  const bob = await other.newPage();
  const login = await bob.request.post('/auth/dev-login', { form: { username: `bob_${suffix}` }, maxRedirects: 0 });
  expect(login.status()).toBe(303);
  expect(await status(bob)).toBe('none');
  await bob.goto('/id-verification/status');
  await expect(bob.locator('[data-status]')).toHaveAttribute('data-status', 'none');
  await other.close();
});

test('a denied learner is asked to verify again', async ({ page }) => {
  // The fake vendor denies when the expected name carries its DENY marker.
  await signIn(page, `DENY_${Date.now().toString(36)}`);
  await walkTheFlow(page);
  await waitForStatus(page, 'must_reverify');
  await shot(page, 'status-denied');
  await expect(page.getByRole('link', { name: 'Start' })).toBeVisible();
});

test('the SPA answers on client routes and the API stays JSON', async ({ page, request }) => {
  const res = await request.get('/id-verification/status');
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toContain('text/html');
  const api = await request.get('/api/v1/does-not-exist');
  expect(api.status()).toBe(404);
  expect(await api.json()).toEqual({ error: { code: 'not_found', message: 'No such endpoint.' } });
  await page.goto('/id-verification');
  // The wasm loaded and rendered the app.
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});
