// The whole learner flow in a real browser with the fake camera: sign in (dev), every panel
// to submitted, the status page pending then approved by the fake vendor; a denied learner
// sees the reasons and verifies again reusing nothing; an approved learner reverifies
// reusing the approved ID photo. Every panel is screenshotted (desktop and 360 px) and
// checked with axe-core.
import { test, expect, type Page } from '../support/csp';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { NOT_A_FORM, panel, signIn, status, submit, unique, waitForStatus, walkToSummary, expectPanel } from '../support/flow';

/// Moves the learner's approvals to expire in `days` days, on the test server's database
/// (the clock of a real process cannot be moved): the set-up of "an approval expiring soon".
/// The write comes from another process, as an operator's SQL would, and the server's status
/// cache hears of it within `cache.max_stale_ms` (1 s by default; the SQLite log is polled
/// every quarter of it): the caller waits that long before reading, because that promise,
/// not an immediate read, is what holds across processes.
async function approvalExpiresInDays(page: Page, username: string, days: number) {
  const dataDir = process.env.VOUCH_E2E_DATA;
  if (!dataDir) throw new Error('VOUCH_E2E_DATA must be set (cargo xtask test sets it)');
  if (!/^[A-Za-z0-9_]+$/.test(username)) throw new Error(`unexpected username ${username}`);
  const micros = (Date.now() + days * 86_400_000) * 1000;
  execFileSync('sqlite3', [
    path.join(dataDir, 'vouch.db'),
    `update photo_verification set expires_at = ${micros} where status = 'approved' and user_id = ` +
      `(select user_id from app_user where username = '${username}')`,
  ]);
  await page.waitForTimeout(1_100);
}

test('a learner verifies with the camera: pending, approved, then reverifies reusing the ID photo', async ({ page, browser }) => {
  const suffix = unique();
  await signIn(page, `ada_${suffix}`);
  expect(await status(page)).toBe('none');
  await walkToSummary(page, { name: 'Ada Lovelace', shots: true });
  await expect(page.locator('#face-photo')).toBeVisible();
  await expect(page.locator('#id-photo')).toBeVisible();
  await expect(page.locator('#summary-name')).toHaveText('Ada Lovelace');
  await panel(page, 'summary');
  await submit(page);
  await panel(page, 'submitted');
  // The photos left the tab's storage with the submission; localStorage never had them.
  expect(await page.evaluate(() => JSON.stringify(sessionStorage))).not.toContain('data:image');
  expect(await page.evaluate(() => localStorage.length)).toBe(0);

  await page.locator('#see-status').click();
  await expect(page.locator('[data-status]')).toHaveAttribute('data-status', 'pending');
  await panel(page, 'status-pending');
  // The fake vendor fetches and decrypts both photos, then calls back: approved. The page
  // reads the status again by itself while it is pending: no reload.
  await expect(page.locator('[data-status]')).toHaveAttribute('data-status', 'approved', { timeout: 30_000 });
  await expect(page.locator('[role="status"]')).toHaveText(/verified/);
  await expect(page.locator('#expires')).toHaveText(/^Valid until [A-Z][a-z]+ \d{1,2}, \d{4}\.$/);
  await panel(page, 'status-approved');
  // The entry page shows the status once there is an attempt.
  await page.goto('/id-verification');
  await expect(page.locator('[data-status]')).toHaveAttribute('data-status', 'approved');

  // Approved and not expiring soon: no way to verify again is offered, and the doors refuse
  // (Open edX's can_verify_now), storing nothing.
  await expect(page.locator('#status-action')).toHaveCount(0);
  const refused = await page.evaluate(async () => {
    // A well-formed submission (a 1×1 PNG): refused for who sends it, not for what.
    const png = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
    const res = await fetch('/verify_student/submit-photos/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ face_image: png, photo_id_image: png }).toString(),
    });
    return [res.status, (await res.json()).error.code];
  });
  expect(refused).toEqual([400, 'cannot_verify_now']);
  // Once the approval is within the expiring-soon window, verifying again is offered.
  await approvalExpiresInDays(page, `ada_${suffix}`, 10);
  await page.goto('/id-verification/status');
  await expect(page.locator('[data-status]')).toHaveAttribute('data-expiring', 'true');
  await expect(page.getByRole('link', { name: 'Verify again' })).toBeVisible();

  // Reverification (Open edX's link): the approved ID photo is reused, so no ID steps.
  await page.goto('/verify_student/reverify');
  await walkToSummary(page, { reuseId: true });
  await expect(page.locator('#id-reused')).toBeVisible();
  await expect(page.locator('#id-photo')).toHaveCount(0);
  await expect(page.locator('#summary-name')).toHaveText('Ada Lovelace');
  await panel(page, 'summary-reusing-id');
  await submit(page);
  await page.locator('#see-status').click();
  // The newest attempt is in progress, but the unexpired approval still decides the status.
  await expect(page.locator('[data-status]')).toHaveAttribute('data-status', 'approved');

  // A second learner sees nothing of the first one's attempts.
  const other = await browser.newContext();
  const bob = await other.newPage();
  const login = await bob.request.post('/auth/dev-login', { headers: NOT_A_FORM, form: { username: `bob_${suffix}` }, maxRedirects: 0 });
  expect(login.status()).toBe(303);
  expect(await status(bob)).toBe('none');
  await bob.goto('/id-verification/status');
  await expect(bob.locator('[data-status]')).toHaveAttribute('data-status', 'none');
  await other.close();
});

test('a denied learner sees the reasons and verifies again', async ({ page }) => {
  await signIn(page, `dora_${unique()}`);
  // The fake vendor denies when the name on the ID carries its DENY marker.
  await walkToSummary(page, { name: 'Dora DENY Smith' });
  await submit(page);
  await waitForStatus(page, 'must_reverify');
  await expect(page.locator('#reasons li').first()).toBeVisible();
  await panel(page, 'status-denied');
  await page.getByRole('link', { name: 'Verify again' }).click();
  // Nothing approved to reuse: the whole flow again, from the start.
  await walkToSummary(page, { name: 'Dora Smith' });
  await expect(page.locator('#id-photo')).toBeVisible();
  await submit(page);
  await waitForStatus(page, 'approved');
});

test('the SPA answers on client routes and the API stays JSON', async ({ page, request }) => {
  const res = await request.get('/id-verification/status');
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toContain('text/html');
  const api = await request.get('/api/v1/does-not-exist');
  expect(api.status()).toBe(404);
  expect(await api.json()).toEqual({ error: { code: 'not_found', message: 'No such endpoint.' } });
  await page.goto('/id-verification/summary');
  // The wasm loaded and rendered the app; signing in returns to the page opened.
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await panel(page, 'sign-in');
  await page.getByLabel('Username').fill(`sam_${unique()}`);
  await page.getByRole('button', { name: 'Sign in (development)' }).click();
  // A later step opened directly sends the learner to the first step not done.
  await expectPanel(page, 'review-requirements', 'Before you start');
});
