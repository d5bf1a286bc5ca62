// In-house review end to end (issue 20), every part a real process: `vouch serve` with
// `idv.vendor = in_house`, an SMTP sink, a webhook receiver and an LMS outcome service. A
// learner launched from the LMS (a signed LTI 1.1 launch) submits with the fake camera; a
// staff reviewer claims the attempt in the console, sees both photos decrypted, and denies
// with two reasons; the learner reads the two reasons as sentences and verifies again; a
// second reviewer (a reviewer who is not staff, granted with `vouch review grant`) approves;
// the learner is verified, and emails, signed webhooks and LTI grades followed. Time per
// decision is measured and logged; the reviewer's screen is saved as screenshots/review.png.
import { test, expect, type Page } from '../support/csp';
import * as path from 'node:path';
import { expectAccessible, shotsDir, signIn, status, submit, unique, waitForStatus, walkToSummary } from '../support/flow';
import {
  Vouch, lmsStaffCookies, signedLaunch, startOutcomeService, startSmtpSink, startWebhookReceiver, stopReviewProcesses,
} from '../support/review-processes';

// Ports 8210-8213 unless told otherwise (this spec's own processes).
const PORT = Number(process.env.VOUCH_E2E_REVIEW_PORT ?? 8210);
const BASE = `http://127.0.0.1:${PORT}`;
const JWT_SECRET = 'review-e2e-lms-jwt-secret: browser tests only, 0123';
const HOOK_SECRET = 'review-e2e-webhook-secret-of-at-least-32-bytes';
const LTI_KEY = 'review-e2e-lms';
const LTI_SECRET = 'review-e2e-lms-secret-0123456789';
const LAUNCH_PATH = '/lti_provider/courses/course-v1:Org+Review+2026/block-v1:Org+Review+2026+type@lti+block@idv';

test.use({ baseURL: BASE });
test.afterAll(stopReviewProcesses);

let vouch: Vouch;
let sink: Awaited<ReturnType<typeof startSmtpSink>>;
let hooks: Awaited<ReturnType<typeof startWebhookReceiver>>;
let lms: Awaited<ReturnType<typeof startOutcomeService>>;

test.beforeAll(async () => {
  hooks = await startWebhookReceiver(PORT + 2, HOOK_SECRET);
  lms = await startOutcomeService(PORT + 3);
  vouch = new Vouch(PORT, {
    VOUCH_AUTH__JWT_SECRET: JWT_SECRET,
    VOUCH_EMAIL__SMTP_HOST: '127.0.0.1',
    VOUCH_EMAIL__SMTP_PORT: String(PORT + 1),
    VOUCH_EMAIL__SMTP_SECURITY: 'none',
    VOUCH_EVENTS__WEBHOOK_URL: hooks.url,
    VOUCH_EVENTS__WEBHOOK_SECRET: HOOK_SECRET,
    VOUCH_LTI__ALLOW_PRIVATE_OUTCOME_URLS: 'true',
  });
  sink = await startSmtpSink(PORT + 1, vouch.dir);
  vouch.cli(['lti', 'consumer', 'add', '--name', 'Review LMS', '--key', LTI_KEY, '--secret', LTI_SECRET, '--use-lti-pii']);
  await vouch.serve();
});

/// Both photos of the claimed attempt decoded in the page (decrypted by the server).
async function photosLoaded(page: Page) {
  for (const id of ['#face-photo', '#id-photo']) {
    await expect.poll(() => page.locator(id).evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), {
      message: `${id} decoded`,
    }).toBeGreaterThan(0);
  }
}

test('a learner is denied by one reviewer with two reasons, verifies again, and is approved by another', async ({ page, browser }) => {
  test.setTimeout(180_000);
  const ltiUser = `lti-${unique()}`;
  const sourcedid = `sid-${ltiUser}`;
  const email = `${ltiUser}@learners.example.edu`;

  // The learner arrives from the LMS: a signed launch with an outcome service.
  const launch = signedLaunch(`${BASE}${LAUNCH_PATH}`, LTI_KEY, LTI_SECRET, {
    lti_message_type: 'basic-lti-launch-request', lti_version: 'LTI-1p0', resource_link_id: 'idv-review-1',
    user_id: ltiUser, roles: 'Learner', context_id: 'course-review', tool_consumer_instance_guid: 'lms.example.edu',
    lis_person_name_full: 'Ada Lovelace', lis_person_contact_email_primary: email,
    lis_outcome_service_url: lms.url, lis_result_sourcedid: sourcedid,
  });
  const launched = await page.request.post(LAUNCH_PATH, { form: launch, maxRedirects: 0 });
  expect(launched.status(), await launched.text()).toBe(303);
  await page.goto(launched.headers().location);
  await walkToSummary(page, { name: 'Ada Lovelace' });
  await submit(page);
  const learner = (await (await page.request.get('/api/v1/me')).json()).username as string;

  // Reviewer 1: staff (an LMS administrator), in the console.
  const staff = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await staff.context().addCookies(lmsStaffCookies(`stella${unique()}`, BASE, JWT_SECRET));
  await staff.goto('/staff/review');
  await expect(staff.getByRole('heading', { level: 1, name: 'Review' })).toBeFocused();
  await expect(staff.getByRole('link', { name: 'Review' })).toHaveAttribute('aria-current', 'page');
  await expect(staff.locator('#queue-counter')).toContainText('1 in the queue (0 claimed)');
  await expectAccessible(staff, 'review, nothing claimed');

  // `n` claims the next attempt; the focus moves to it.
  const claimed1 = Date.now();
  await staff.keyboard.press('n');
  const heading = staff.getByRole('heading', { level: 2, name: `Attempt of ${learner}` });
  await expect(heading).toBeFocused();
  await photosLoaded(staff);
  const seen1 = Date.now();
  // The name from the LMS (use_lti_pii) and the name typed for the ID.
  await expect(staff.locator('#account-name')).toHaveText('Ada Lovelace');
  await expect(staff.locator('#expected-name')).toHaveText('Ada Lovelace');
  await expect(staff.locator('#names-differ')).toHaveCount(0);
  await expect(staff.getByRole('button', { name: 'Claim next (n)' })).toBeDisabled();

  // Zoom and rotate the ID photo; reset.
  const idPhoto = staff.locator('#id-photo');
  await staff.getByRole('button', { name: 'Zoom in on the ID photo' }).click();
  await staff.getByRole('button', { name: 'Rotate the ID photo a quarter turn' }).click();
  const canvas = staff.locator('.photo-canvas').filter({ has: idPhoto });
  await expect(canvas).toHaveClass('photo-canvas z1');
  await expect(idPhoto).toHaveClass('r1');
  await staff.getByRole('button', { name: 'Reset the ID photo' }).click();
  await expect(canvas).toHaveClass('photo-canvas z0');
  await expect(idPhoto).toHaveClass('r0');

  // Two reasons from two categories, and a note: typing letters there triggers no shortcut.
  await staff.getByRole('group', { name: 'Face photo' }).getByLabel('Face out of view').check();
  await staff.getByRole('group', { name: 'ID photo' }).getByLabel('Photo hidden/No photo').check();
  const note = staff.getByLabel(/^Note/);
  await note.click();
  await staff.keyboard.type('face turned away; and the ID is covered');
  await expect(note).toHaveValue('face turned away; and the ID is covered');
  await expect(heading).toBeVisible();

  // The reviewer's screen, at desktop width; then on a tablet the photos stack.
  await staff.screenshot({ path: path.join(shotsDir, 'review.png'), fullPage: true });
  await expectAccessible(staff, 'review, attempt claimed');
  await staff.setViewportSize({ width: 800, height: 1100 });
  const face = await staff.locator('#face-photo').boundingBox();
  const id = await idPhoto.boundingBox();
  expect(id!.y, 'photos stack on a tablet').toBeGreaterThan(face!.y + face!.height);
  expect(await staff.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  await staff.screenshot({ path: path.join(shotsDir, 'review-tablet.png'), fullPage: true });
  await staff.setViewportSize({ width: 1280, height: 900 });

  // Deny: `d` from a reason's checkbox (not a text field).
  const decided1 = Date.now();
  await staff.getByLabel('Face out of view').focus();
  await staff.keyboard.press('d');
  await expect(staff.locator('.live')).toHaveText(`Denied: ${learner} is asked to verify again.`);
  const done1 = Date.now();
  // The next claim is offered: its button has the focus.
  await expect(staff.getByRole('button', { name: 'Claim next (n)' })).toBeFocused();
  await expect(staff.locator('#queue-counter')).toHaveText('The queue is empty.');

  // The learner reads the two reasons, and verifies again.
  await waitForStatus(page, 'must_reverify');
  await expect(page.locator('#reasons li')).toHaveText([
    'Your face was not visible in your self-photo.',
    'The photo on your ID was hidden or missing.',
  ]);
  await page.getByRole('link', { name: 'Verify again' }).click();
  await walkToSummary(page, { name: 'Ada Lovelace' });
  await submit(page);

  // Reviewer 2: a reviewer who is not staff sees only the Review page.
  const reviewer = `rita${unique()}`;
  const rp = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const login = await rp.request.post('/auth/dev-login', { headers: { 'X-Requested-With': 'XMLHttpRequest' }, form: { username: reviewer }, maxRedirects: 0 });
  expect(login.status()).toBe(303);
  vouch.cli(['review', 'grant', reviewer]);
  await rp.goto('/staff');
  await expect(rp.getByRole('heading', { level: 1, name: 'Review' })).toBeFocused();
  await expect(rp.getByRole('navigation', { name: 'Staff console' }).getByRole('link')).toHaveText(['Review']);
  // A claim given back with `r` returns to the queue.
  await rp.keyboard.press('n');
  await expect(rp.getByRole('heading', { level: 2, name: `Attempt of ${learner}` })).toBeFocused();
  await rp.keyboard.press('r');
  await expect(rp.locator('.live')).toHaveText('Released: the attempt is back in the queue.');
  await expect(rp.locator('#queue-counter')).toContainText('1 in the queue (0 claimed)');
  const claimed2 = Date.now();
  await rp.getByRole('button', { name: 'Claim next (n)' }).click();
  await expect(rp.getByRole('heading', { level: 2, name: `Attempt of ${learner}` })).toBeFocused();
  await photosLoaded(rp);
  const seen2 = Date.now();
  await expect(rp.locator('#names-differ')).toHaveCount(0);
  // The earlier denial, with its reasons, is in the history.
  await expect(rp.locator('#review-history')).toContainText('Face out of view');
  await expect(rp.locator('#review-history')).toContainText('Photo hidden/No photo');
  const decided2 = Date.now();
  await rp.keyboard.press('a');
  await expect(rp.locator('.live')).toHaveText(`Approved: ${learner} is verified.`);
  const done2 = Date.now();
  await expectAccessible(rp, 'review, after an approval');

  await waitForStatus(page, 'approved');

  // The Operations page shows the queue's figures: empty now, two decisions today.
  await staff.goto('/staff/operations');
  const figures = staff.getByRole('region', { name: 'Review queue' });
  await expect(figures.locator('dt')).toHaveText([
    'In the queue', 'Oldest waiting for', 'Claimed now', 'Decided in the last 24 hours', 'Time to decision, median (p50)',
    'Time to decision, p95',
  ]);
  await expect(figures.locator('dd')).toHaveText(['0', '—', '0', '2', /^\d+ (s|min)/, /^\d+ (s|min)/]);
  await expectAccessible(staff, 'operations with the review queue');

  // What followed: emails to the learner, signed webhooks, LTI grades (0 then 1).
  await expect.poll(() => sink.mails().filter((m) => m.to.includes(email)).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
  await expect.poll(() => hooks.events.filter((e) => e.data?.user?.username === learner).map((e) => e.event_type), { timeout: 30_000 })
    .toEqual(expect.arrayContaining([
      'org.openedx.learning.idv_attempt.denied.v1',
      'org.openedx.learning.idv_attempt.approved.v1',
    ]));
  expect(hooks.bad).toEqual([]);
  await expect.poll(() => lms.grades.filter((g) => g.sourcedid === sourcedid).map((g) => g.score).at(-1), { timeout: 30_000 })
    .toBe('1.0');
  for (const g of lms.grades) expect(g.bodyHashOk && g.signed, JSON.stringify(g)).toBe(true);

  const timings = {
    deny: { claim_to_photos_ms: seen1 - claimed1, decision_ms: done1 - decided1 },
    approve: { claim_to_photos_ms: seen2 - claimed2, decision_ms: done2 - decided2, claim_to_decision_ms: done2 - claimed2 },
  };
  console.log(`review decision timings: ${JSON.stringify(timings)}`);
  test.info().annotations.push({ type: 'timings', description: JSON.stringify(timings) });
});

test.describe('with a second look for denials', () => {
  const BASE2 = `http://127.0.0.1:${PORT + 4}`;
  test.use({ baseURL: BASE2 });
  test.beforeAll(async () => {
    await new Vouch(PORT + 4, { VOUCH_AUTH__JWT_SECRET: JWT_SECRET, VOUCH_REVIEW__SECOND_REVIEW_FOR_DENIALS: 'true' }).serve();
  });

  test('a denial is final only when a second reviewer confirms it', async ({ page, browser }) => {
    const learner = `dora${unique()}`;
    await signIn(page, learner);
    await walkToSummary(page, { name: 'Dora Smith' });
    await submit(page);

    const reviewer = async (name: string) => {
      const p = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
      await p.context().addCookies(lmsStaffCookies(name, BASE2, JWT_SECRET));
      await p.goto('/staff/review');
      await expect(p.getByRole('heading', { level: 1, name: 'Review' })).toBeFocused();
      await p.keyboard.press('n');
      await expect(p.getByRole('heading', { level: 2, name: `Attempt of ${learner}` })).toBeFocused();
      await photosLoaded(p);
      return p;
    };
    const first = await reviewer(`stella${unique()}`);
    await expect(first.locator('#second-look')).toHaveCount(0);
    await first.getByLabel('Not provided').check();
    await first.getByRole('button', { name: 'Deny (d)' }).click();
    await expect(first.locator('.live')).toHaveText(`Denial recorded for ${learner}: a second reviewer must confirm it.`);
    expect(await status(page)).not.toBe('must_reverify');

    // The second reviewer sees the first one's reasons, ticked for them, and confirms with `d`.
    const second = await reviewer(`sam${unique()}`);
    await expect(second.locator('#second-look')).toContainText('ID photo: Not provided');
    await expect(second.getByLabel('Not provided')).toBeChecked();
    await expectAccessible(second, 'review, second look');
    await second.keyboard.press('d');
    await expect(second.locator('.live')).toHaveText(`Denied: ${learner} is asked to verify again.`);
    await waitForStatus(page, 'must_reverify');
  });
});
