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

test('a learner submits a face photo from the camera and sees pending', async ({ page, browser }) => {
  const suffix = Date.now().toString(36);
  await page.goto('/id-verification');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await shot(page, 'sign-in');
  await page.getByLabel('Username').fill(`ada_${suffix}`);
  await page.getByRole('button', { name: 'Sign in (development)' }).click();

  await expect(page.getByRole('heading', { name: 'Before you start' })).toBeVisible();
  expect(await status(page)).toBe('none');
  await shot(page, 'requirements');
  await page.getByRole('button', { name: 'Start' }).click();

  // The live <video> shows the fake camera.
  const video = page.locator('video');
  await expect(page.locator('#take-photo')).toBeEnabled();
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.videoWidth)).toBeGreaterThan(0);
  await shot(page, 'camera');
  await page.locator('#take-photo').click();

  const photo = page.locator('#face-photo');
  await expect(photo).toBeVisible();
  expect(await photo.getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/);
  await shot(page, 'captured');
  await page.locator('#submit').click();

  await expect(page).toHaveURL(/\/id-verification\/status$/);
  await expect(page.locator('[data-status]')).toHaveAttribute('data-status', 'pending');
  await shot(page, 'status-pending');

  // The attempt, read back through the server.
  expect(await status(page)).toBe('pending');

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
