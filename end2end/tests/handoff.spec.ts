// "Continue on your phone" (issue 19) with two browser contexts: a desktop without
// `mediaDevices` shows the QR code, which the test decodes from the pixels on screen; a phone
// context (mobile viewport, Chromium's fake camera) opens the decoded link and completes the
// flow, the back camera asked for on the ID step; the desktop follows it to "submitted"
// without a reload. The used link then refuses a second phone, a fresh one refuses another
// learner's browser, and one from a server with a one-second TTL refuses once expired.
import { test, expect, type Browser, type Page } from '../support/csp';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { expectAccessible, expectPanel, signIn, submit, unique, walkToSummary, PHONE } from '../support/flow';
import { startVouch, stopAll, signIn as signInAt } from './slot-support';

test.afterAll(stopAll);

/// The link in the QR code the page shows, read from a screenshot of the code.
async function decodeQr(page: Page): Promise<string> {
  const shot = PNG.sync.read(await page.locator('#handoff-qr-img').screenshot());
  const code = jsQR(new Uint8ClampedArray(shot.data), shot.width, shot.height);
  expect(code, 'a readable QR code on the page').not.toBeNull();
  return code!.data;
}

/// A desktop browser without `mediaDevices` (no camera API at all).
async function desktopWithoutCamera(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'mediaDevices', { get: () => undefined, configurable: true });
  });
  return context.newPage();
}

/// A phone: mobile viewport and touch, the fake camera; records what the flow asks the camera for.
async function phone(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
  await context.addInitScript(() => {
    const asked: string[] = [];
    (window as unknown as { __asked: string[] }).__asked = asked;
    const md = navigator.mediaDevices;
    if (!md) return;
    const original = md.getUserMedia.bind(md);
    md.getUserMedia = (c?: MediaStreamConstraints) => {
      asked.push(JSON.stringify(c ?? {}));
      return original(c);
    };
  });
  return context.newPage();
}

test('a desktop without a camera continues on the phone, and follows it to submitted', async ({ browser }) => {
  const learner = `hana_${unique()}`;
  const desktop = await desktopWithoutCamera(browser);
  await signIn(desktop, learner);
  await desktop.locator('#start').click();
  await desktop.locator('#enable-camera').click();
  await expectPanel(desktop, 'unsupported-camera', 'No camera found');
  await desktop.locator('#continue-on-phone').click();
  await expect(desktop).toHaveURL(/\/handoff$/);
  await expect(desktop.getByRole('heading', { level: 1, name: 'Continue on your phone' })).toBeVisible();
  await expect(desktop.locator('#handoff-state')).toHaveText('Waiting for your phone…');
  await expectAccessible(desktop, 'handoff desktop');
  const link = await decodeQr(desktop);
  expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/handoff\/[A-Za-z0-9_-]{43}$/);
  await desktop.locator('summary').click();
  await expect(desktop.locator('#handoff-link')).toHaveText(link);
  // Marks this document: gone if the desktop page were reloaded.
  await desktop.evaluate(() => ((window as unknown as { __same: boolean }).__same = true));

  const mobile = await phone(browser);
  await mobile.goto(link);
  await expect(mobile.getByRole('heading', { level: 1, name: 'Continue your verification on this phone' })).toBeVisible();
  await expect(mobile.locator('#handoff-phone-text')).toContainText(learner);
  await expectAccessible(mobile, 'handoff phone landing');
  await mobile.locator('#handoff-continue').click();
  await expect(desktop.locator('#handoff-state')).toHaveText('Your phone is connected. Take your photos on it.');

  await walkToSummary(mobile, { name: 'Hana Phone' });
  const asked = await mobile.evaluate(() => (window as unknown as { __asked: string[] }).__asked);
  expect(asked.at(-1), 'the ID step asks for the back camera').toContain('"facingMode":{"ideal":"environment"}');
  expect(asked.some((c) => c.includes('"facingMode":{"ideal":"user"}')), 'the face step asks for the front one').toBe(true);
  await submit(mobile);

  await expect(desktop.locator('#handoff-state')).toHaveAttribute('data-state', 'submitted', { timeout: 30_000 });
  await expect(desktop.locator('#handoff-state')).toHaveText('Submitted from your phone. We will let you know the result.');
  await expect(desktop.locator('#handoff-see-status a')).toBeVisible();
  await expect(desktop.locator('#handoff-qr')).toBeHidden();
  expect(await desktop.evaluate(() => (window as unknown as { __same?: boolean }).__same)).toBe(true);
  await expectAccessible(desktop, 'handoff desktop submitted');

  // Single use: a second phone gets a readable refusal.
  const second = await phone(browser);
  const res = await second.goto(link);
  expect(res?.status()).toBe(409);
  await expect(second.locator('#handoff-refused')).toHaveText(/already used/);
  await expectAccessible(second, 'handoff refused');

  // Another learner's browser cannot open a fresh link of this learner.
  await desktop.goto('/handoff');
  const fresh = await decodeQr(desktop);
  expect(fresh).not.toBe(link);
  const other = await phone(browser);
  await signIn(other, `omar_${unique()}`);
  await expect(other.getByRole('heading', { level: 1 })).toBeVisible();
  const refused = await other.goto(fresh);
  expect(refused?.status()).toBe(403);
  await expect(other.locator('#handoff-refused')).toHaveText(/signed in to another account/);
  // Cancelling on the desktop returns to the flow and kills the link.
  await desktop.locator('#handoff-cancel').click();
  await expect(desktop).toHaveURL(/\/id-verification/);
  const cancelled = await second.goto(fresh);
  expect(cancelled?.status()).toBe(409);
  await expect(second.locator('#handoff-refused')).toHaveText(/cancelled/);
});

test('a link expires after idv.handoff_ttl_secs', async ({ browser }) => {
  const base = await startVouch(8242, { VOUCH_IDV__HANDOFF_TTL_SECS: '1' });
  const desktop = await desktopWithoutCamera(browser);
  await signInAt(desktop, base, `ezra_${unique()}`);
  await expect(desktop.getByRole('heading', { level: 1 })).toBeVisible();
  await desktop.goto(`${base}/handoff`);
  const link = await decodeQr(desktop);
  expect(link.startsWith(`${base}/handoff/`)).toBe(true);
  // The desktop page notices too, without a reload.
  await expect(desktop.locator('#handoff-state')).toHaveAttribute('data-state', 'expired', { timeout: 15_000 });
  await expect(desktop.locator('#handoff-new-code a')).toBeVisible();
  const mobile = await phone(browser);
  const res = await mobile.goto(link);
  expect(res?.status()).toBe(409);
  await expect(mobile.locator('#handoff-refused')).toHaveText(/expired/);
});

test('camera denied: the directions offer the phone too, in French as well', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'fr-FR' });
  await context.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));
  });
  const desktop = await context.newPage();
  await desktop.goto('/id-verification');
  await desktop.locator('input[name="username"]').fill(`fanny_${unique()}`);
  await desktop.locator('form button[type="submit"]').click();
  await desktop.locator('#start').click();
  await desktop.locator('#enable-camera').click();
  await expect(desktop).toHaveURL(/\/id-verification\/enable-camera$/);
  await expect(desktop.locator('#continue-on-phone')).toHaveText('Continuer sur votre téléphone');
  await expectAccessible(desktop, 'enable-camera with the phone option');
  await desktop.locator('#continue-on-phone').click();
  await expect(desktop.getByRole('heading', { level: 1, name: 'Continuer sur votre téléphone' })).toBeVisible();
  await expect(desktop.locator('#handoff-state')).toHaveText('En attente de votre téléphone…');
  await expectAccessible(desktop, 'handoff desktop (fr)');
  expect(await decodeQr(desktop)).toMatch(/\/handoff\/[A-Za-z0-9_-]{43}$/);
});
