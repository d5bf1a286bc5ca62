// Shared steps of the learner flow for the browser tests: sign in, walk each panel, take
// screenshots of every panel at desktop and phone width, and run axe-core on it.
import { expect, type Page } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const shotsDir = path.resolve(__dirname, '../screenshots');
fs.mkdirSync(shotsDir, { recursive: true });

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 360, height: 760 };

const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/// Runs axe-core's WCAG 2 A/AA rules on the page as it is; fails on any violation.
export async function expectAccessible(page: Page, what: string) {
  // Evaluated through the debugging protocol, not as a <script> tag: the pages' CSP allows
  // no inline script, and the tests run under that policy.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    // @ts-expect-error axe is injected above
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v: { id: string; help: string; nodes: { target: string[] }[] }) =>
      `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  });
  expect(violations, `axe violations on ${what}`).toEqual([]);
}

/// Screenshots of the page at desktop and at 360 px (the page is resized and put back),
/// then the axe check: every panel the tests pass through is looked at both ways.
export async function panel(page: Page, name: string) {
  const size = page.viewportSize() ?? DESKTOP;
  for (const [label, vp] of [['desktop', DESKTOP], ['360px', PHONE]] as const) {
    await page.setViewportSize(vp);
    await page.screenshot({ path: path.join(shotsDir, `${label}-${name}.png`), fullPage: true });
    // Nothing wider than the screen: no sideways scrolling on a phone.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${name} overflows at ${label}`).toBeLessThanOrEqual(0);
  }
  await page.setViewportSize(size);
  await expectAccessible(page, name);
}

export async function signIn(page: Page, username: string) {
  await page.goto('/id-verification');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.getByLabel('Username').fill(username);
  await page.getByRole('button', { name: 'Sign in (development)' }).click();
}

export async function expectPanel(page: Page, slug: string, heading: string | RegExp) {
  await expect(page).toHaveURL(new RegExp(`/id-verification/${slug}$`));
  const h = page.getByRole('heading', { level: 1, name: heading });
  await expect(h).toBeVisible();
  // Focus moves to the new panel's heading.
  await expect(h).toBeFocused();
}

/// Takes a photo with the fake camera on the current capture panel and accepts it.
export async function capture(page: Page, shotName?: string, minSeconds = 0.3) {
  const video = page.locator('video');
  await expect(page.locator('#take-photo')).toBeEnabled();
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.videoWidth)).toBeGreaterThan(0);
  // Chromium's fake camera restarts its animation with every stream, so a frame depends only
  // on the time since the stream started: wait until it has moved past the first frames
  // (a retake passes a different time, so it never captures the same picture again).
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime)).toBeGreaterThan(minSeconds);
  if (shotName) await panel(page, shotName);
  await page.locator('#take-photo').click();
  const photo = page.locator('#captured-photo');
  await expect(photo).toBeVisible();
  expect(await photo.getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/);
  if (shotName) await panel(page, `${shotName}-captured`);
  await page.locator('#use-photo').click();
}

/// Walks from the requirements to the summary with the camera. `shots` names the
/// screenshots; `name` is typed as the name on the ID.
export async function walkToSummary(page: Page, opts: { name?: string; shots?: boolean; reuseId?: boolean } = {}) {
  const shots = opts.shots ?? false;
  await expectPanel(page, 'review-requirements', 'Before you start');
  if (shots) await panel(page, 'review-requirements');
  await page.locator('#start').click();
  await expectPanel(page, 'request-camera-access', 'Allow camera access');
  if (shots) await panel(page, 'request-camera-access');
  await page.locator('#enable-camera').click();
  await expectPanel(page, 'portrait-photo-context', 'Photo of your face');
  if (shots) await panel(page, 'portrait-photo-context');
  await page.locator('#next').click();
  await expectPanel(page, 'take-portrait-photo', 'Take a photo of your face');
  await capture(page, shots ? 'take-portrait-photo' : undefined);
  if (!opts.reuseId) {
    await expectPanel(page, 'id-context', 'Photo of your ID');
    if (shots) await panel(page, 'id-context');
    await page.locator('#next').click();
  }
  await expectPanel(page, 'get-name-id', 'Your name as on your ID');
  if (shots) await panel(page, 'get-name-id');
  if (opts.name !== undefined) await page.getByLabel('Full name').fill(opts.name);
  await page.locator('#next').click();
  if (!opts.reuseId) {
    await expectPanel(page, 'take-id-photo', 'Take a photo of your ID');
    await capture(page, shots ? 'take-id-photo' : undefined);
  }
  await expectPanel(page, 'summary', 'Review and submit');
}

/// Agrees and submits on the summary; ends on the submitted panel.
export async function submit(page: Page) {
  await page.locator('#consent').check();
  await page.locator('#submit').click();
  await expectPanel(page, 'submitted', 'Submitted');
}

/// What a cookie client that is not a browser page sends so that Vouch's CSRF check knows
/// the write comes from no cross-site form (Playwright's API requests send no Origin).
export const NOT_A_FORM = { 'X-Requested-With': 'XMLHttpRequest' };

export async function status(page: Page): Promise<string> {
  const res = await page.request.post('/sfn/verification_status', { headers: NOT_A_FORM, data: {} });
  expect(res.status()).toBe(200);
  return (await res.json()).status;
}

/// Reloads the status page until it shows `expected` (the vendor answers asynchronously).
export async function waitForStatus(page: Page, expected: string) {
  await expect
    .poll(async () => {
      await page.goto('/id-verification/status');
      return page.locator('[data-status]').getAttribute('data-status');
    }, { timeout: 30_000, intervals: [250, 500, 1000] })
    .toBe(expected);
}

export const unique = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
