// The staff console (/staff, its own bundle) in Chromium against the real server: a learner
// and an anonymous visitor are turned away; a staff member (an LMS administrator, signed in
// by the Open edX JWT cookie pair) verifies a learner by hand, whose status turns approved in
// the console and for the learner; edits a course deadline twice and sees both values in
// its history; and the operations and LTI pages work. axe-core checks every console page.
import { test, expect, type Browser, type Page } from '../support/csp';
import * as crypto from 'node:crypto';
import { jwtSecret } from '../playwright.config';
import { expectAccessible, signIn, unique } from '../support/flow';

let lmsUsers = 0;

/// The Open edX JWT cookie pair (`edx-jwt-cookie-header-payload` + `edx-jwt-cookie-signature`)
/// the LMS would set for `username`, an LMS administrator: HS256 with the test server's
/// `auth.jwt_secret`. The claim makes them staff for this token only; dev login never
/// signs in staff.
function lmsStaffCookies(username: string, baseURL: string) {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    user_id: Date.now() * 100 + (lmsUsers++ % 100),
    preferred_username: username,
    email: `${username}@example.com`,
    name: 'Stella Staff',
    administrator: true,
    exp: now + 3600,
  };
  const headerPayload = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  const signature = crypto.createHmac('sha256', jwtSecret).update(headerPayload).digest('base64url');
  return [
    { name: 'edx-jwt-cookie-header-payload', value: headerPayload, url: baseURL },
    { name: 'edx-jwt-cookie-signature', value: signature, url: baseURL },
  ];
}

/// Dev login through the learner SPA's sign-in form, waiting until it took.
async function signedIn(page: Page, username: string) {
  await signIn(page, username);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toHaveCount(0);
}

async function learnerPage(browser: Browser, username: string) {
  const page = await (await browser.newContext()).newPage();
  await signedIn(page, username);
  return page;
}

/// Opens the console as `staff`, an LMS administrator signed in by the LMS's JWT cookies.
async function openConsole(page: Page, staff: string) {
  const baseURL = test.info().project.use.baseURL ?? 'http://127.0.0.1:8123';
  await page.context().addCookies(lmsStaffCookies(staff, baseURL));
  await page.goto('/staff');
  const title = page.getByRole('heading', { level: 1, name: 'Find a learner' });
  await expect(title).toBeVisible();
  await expect(title).toBeFocused();
  await expect(page.getByText(`Signed in as ${staff}`)).toBeVisible();
}

test('the console is for staff only', async ({ page }) => {
  await page.goto('/staff/learners/anyone');
  await expect(page.getByRole('heading', { level: 1, name: 'Staff only' })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveText('You are not signed in. The staff console is for staff only.');
  await expect(page.getByRole('link', { name: 'Sign in with a staff account' })).toHaveAttribute('href', '/id-verification');

  const learner = `lena${unique()}`;
  await signedIn(page, learner);
  await page.goto('/staff');
  await expect(page.getByRole('heading', { level: 1, name: 'Staff only' })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText(`signed in as ${learner}, who is not staff`);
  await expect(page.getByRole('navigation', { name: 'Staff console' })).toHaveCount(0);
  await expectAccessible(page, 'staff console, not allowed');
  // The API refuses the learner just the same.
  expect((await page.request.get('/api/v1/users?search=')).status()).toBe(403);
});

test('a manual verification approves the learner; revoking it is audited', async ({ page, browser }) => {
  const learner = `lena${unique()}`;
  const staff = `stella${unique()}`;
  const lp = await learnerPage(browser, learner);
  expect((await (await lp.request.get(`/api/v1/users/${learner}/status`)).json()).status).toBe('none');

  await openConsole(page, staff);
  await expectAccessible(page, 'staff search');
  // Keyboard: type and press Enter.
  const search = page.getByLabel('Username or email starts with');
  await search.fill(learner);
  await search.press('Enter');
  await expect(page.locator('.live')).toHaveText('1 learner found.');
  await page.getByRole('link', { name: learner }).click();
  await expect(page).toHaveURL(new RegExp(`/staff/learners/${learner}$`));
  await expect(page.getByRole('heading', { level: 1, name: `Learner ${learner}` })).toBeFocused();
  await expect(page.locator('#learner-status')).toHaveText('None');
  await expect(page.getByText('No attempts.')).toBeVisible();
  await expectAccessible(page, 'staff learner page, no attempts');

  // A reason is required: the browser refuses an empty one, nothing is sent.
  await page.getByRole('button', { name: 'Create manual verification' }).click();
  await expect(page.locator('#learner-status')).toHaveText('None');

  await page.getByLabel('Reason (required; kept in the audit history)').fill('Passport checked in person');
  await page.getByLabel('Verified name (optional; the account\'s name if empty)').fill('Lena Learner');
  await page.getByRole('button', { name: 'Create manual verification' }).click();
  await expect(page.locator('.live')).toContainText(`created for ${learner}`);
  await expect(page.locator('#learner-status')).toHaveText('Approved');

  // The attempt, with its audit history on demand.
  const attempt = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: /^Manual attempt \d+$/ }) });
  await expect(attempt).toHaveCount(1);
  await expect(attempt).toContainText('Lena Learner');
  const toggle = attempt.getByRole('button', { name: 'Show history' });
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await toggle.click();
  await expect(attempt.getByRole('button', { name: 'Hide history' })).toHaveAttribute('aria-expanded', 'true');
  await expect(attempt.locator('.history li')).toHaveCount(1);
  await expect(attempt.locator('.history li').first()).toContainText(`Approved by staff`);
  await expect(attempt.locator('.history li').first()).toContainText('Passport checked in person');
  await expectAccessible(page, 'staff learner page, approved');

  // The learner sees it too: through the API and on their own status page.
  expect((await (await lp.request.get(`/api/v1/users/${learner}/status`)).json()).status).toBe('approved');
  await lp.goto('/id-verification/status');
  await expect(lp.getByText('Your identity is verified.')).toBeVisible();

  // Revoke, with a reason; the history then holds both changes.
  await attempt.getByLabel('Reason for revoking').fill('Wrong learner');
  await attempt.getByRole('button', { name: 'Revoke' }).click();
  await expect(page.locator('.live')).toContainText('revoked');
  const revoked = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: /^Manual attempt \d+$/ }) });
  await expect(revoked.locator('dd.status-denied')).toHaveText('Denied');
  await revoked.getByRole('button', { name: 'Show history' }).click();
  await expect(revoked.locator('.history li')).toHaveCount(2);
  await expect(revoked.locator('.history li').nth(1)).toContainText('Wrong learner');
  expect((await (await lp.request.get(`/api/v1/users/${learner}/status`)).json()).status).not.toBe('approved');
});

test('a deadline edited twice shows both values in its history', async ({ page }) => {
  const staff = `stella${unique()}`;
  const course = `course-v1:Staff+E2E+${unique()}`;
  await openConsole(page, staff);
  await page.getByRole('link', { name: 'Course deadlines' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Course deadlines' })).toBeFocused();
  await expect(page.getByRole('link', { name: 'Course deadlines' })).toHaveAttribute('aria-current', 'page');
  await page.getByLabel('Course key').fill(course);
  await page.getByRole('button', { name: 'Look up' }).click();
  await expect(page.locator('#current-deadline')).toHaveText('—');
  await expect(page.getByText('No changes yet.')).toBeVisible();

  const input = page.getByLabel('New deadline (UTC)');
  await input.fill('2027-01-31T23:59');
  await page.getByRole('button', { name: 'Save deadline' }).click();
  await expect(page.locator('.live')).toHaveText(`The deadline of ${course} is now 2027-01-31 23:59:00 UTC.`);
  await expect(page.locator('#current-deadline')).toHaveText('2027-01-31 23:59:00 UTC');
  await input.fill('2027-02-28T12:00');
  await page.getByRole('button', { name: 'Save deadline' }).click();
  await expect(page.locator('#current-deadline')).toHaveText('2027-02-28 12:00:00 UTC');

  const history = page.locator('#deadline-history li');
  await expect(history).toHaveCount(2);
  await expect(history.nth(0)).toContainText(`Set to 2027-02-28 12:00:00 UTC by staff:${staff}`);
  await expect(history.nth(1)).toContainText(`Set to 2027-01-31 23:59:00 UTC by staff:${staff}`);
  await expectAccessible(page, 'staff deadlines');

  // The server has both too.
  const api = await page.request.get(`/api/v1/courses/${encodeURIComponent(course)}/deadline/history`);
  const body = await api.json();
  expect(body.results.map((c: { deadline: string }) => c.deadline)).toEqual(['2027-02-28T12:00:00Z', '2027-01-31T23:59:00Z']);
});

test('the retry configuration is shown and stored from the operations page', async ({ page }) => {
  const staff = `stella${unique()}`;
  await openConsole(page, staff);
  await page.getByRole('link', { name: 'Operations' }).click();
  const card = page.getByRole('region', { name: 'Retry configuration' });
  await expect(card).toBeVisible();
  // Arguments retry-failed could not read are refused with the server's reason; nothing stored.
  await card.getByLabel('Arguments').fill('--verification-ids 7 seven');
  await card.getByRole('button', { name: 'Store retry configuration' }).click();
  await expect(card.getByRole('status')).toContainText('not an attempt id: seven');
  await card.getByLabel('Arguments').fill('--verification-ids 7 8');
  await card.getByRole('button', { name: 'Store retry configuration' }).click();
  await expect(card.getByRole('status')).toHaveText('Retry configuration stored: --verification-ids 7 8.');
  await expect(card.getByText('--verification-ids 7 8', { exact: true })).toBeVisible();
  await expect(card.getByText(`staff:${staff}`)).toBeVisible();
  await expectAccessible(page, 'staff operations, retry configuration');
  // What `vouch retry-failed --args-from-database` reads, through the API.
  const body = await (await page.request.get('/api/v1/retry-config')).json();
  expect([body.arguments, body.enabled, body.changed_by]).toEqual(['--verification-ids 7 8', true, `staff:${staff}`]);
});

test('operations and LTI consumers pages', async ({ page }) => {
  await openConsole(page, `stella${unique()}`);
  await page.getByRole('link', { name: 'Operations' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Operations' })).toBeFocused();
  await expect(page.getByRole('heading', { level: 2, name: 'Failed jobs' })).toBeVisible();
  await expect(page.getByRole('heading', { level: 2, name: 'Dead-lettered webhook deliveries' })).toBeVisible();
  await expect(page.getByText(/^No failed jobs\.$|^Job \d+/).first()).toBeVisible();
  await expectAccessible(page, 'staff operations');

  await page.getByRole('link', { name: 'LTI consumers' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'LTI consumers' })).toBeFocused();
  const key = `e2e-key-${unique()}`;
  await page.getByLabel('Name').fill('E2E LMS');
  await page.getByLabel('Consumer key').fill(key);
  await page.getByLabel('Shared secret').fill('a shared secret for the e2e test');
  await page.getByRole('button', { name: 'Add consumer' }).click();
  await expect(page.locator('.live')).toHaveText(`Consumer ${key} added.`);
  const remove = page.getByRole('button', { name: `Remove consumer ${key}` });
  await expect(remove).toBeVisible();
  // An opt-in flipped from the console (a PATCH of the shared update body).
  await page.getByRole('button', { name: `Turn LTI PII on for ${key}` }).click();
  await expect(page.locator('.live')).toHaveText(`Consumer ${key}: use_lti_pii is now on.`);
  await expect(page.getByRole('button', { name: `Turn LTI PII off for ${key}` })).toBeVisible();
  await expectAccessible(page, 'staff LTI consumers');
  page.once('dialog', (d) => d.accept());
  await remove.click();
  await expect(page.locator('.live')).toHaveText(`Consumer ${key} removed.`);
  await expect(remove).toHaveCount(0);

  // A console path opened directly (a reload) is served the console's own index.html.
  await page.goto('/staff/deadlines');
  await expect(page.getByRole('heading', { level: 1, name: 'Course deadlines' })).toBeVisible();
});

// A 1×1 PNG: small, and an image every browser decodes.
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

test("the console's photo links open the learner's decrypted photos", async ({ page, browser }) => {
  const learner = `lena${unique()}`;
  const lp = await learnerPage(browser, learner);
  // Submitted from the learner's page, as the SPA does (same-origin fetch).
  const submitted = await lp.evaluate(async (photo) => {
    const res = await fetch('/sfn/submit_photos', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ request: { face_image: photo, photo_id_image: photo, full_name: 'Lena Learner' } }),
    });
    return res.status;
  }, PNG);
  expect(submitted).toBe(200);

  // Support is given the receipt id (the vendor's EdX-ID), not the attempt's uuid.
  const [attempt] = (await (await lp.request.get(`/api/v1/users/${learner}/attempts`)).json()).results;
  expect(attempt.kind).toBe('photo');
  expect(attempt.receipt_id).toMatch(/^[0-9a-f-]{36}$/);
  expect(attempt.receipt_id).not.toBe(attempt.uuid);
  const [details] = await (await lp.request.get(`/api/user/v1/accounts/${learner}/verifications/`)).json();
  expect(details.receipt_id).toBe(attempt.receipt_id);

  await openConsole(page, `stella${unique()}`);
  await page.goto(`/staff/learners/${learner}`);
  const item = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: /^Photo attempt \d+$/ }) });
  await expect(item).toHaveCount(1);
  await expect(item).toContainText(attempt.receipt_id);
  const links = {
    face: item.getByRole('link', { name: 'Face photo' }),
    'photo-id': item.getByRole('link', { name: 'ID photo' }),
  };
  for (const [kind, link] of Object.entries(links)) {
    const href = await link.getAttribute('href');
    expect(href).toBe(`/verify_student/decrypt-idv-images/${kind}/${attempt.receipt_id}`);
    // The image decodes in the console's own page (its policy allows same-origin images).
    const size = await page.evaluate(async (src) => {
      const img = new Image();
      img.src = src;
      await img.decode();
      return [img.naturalWidth, img.naturalHeight];
    }, href as string);
    expect(size).toEqual([1, 1]);
  }
  // Following a link opens the photo itself, never cached.
  const [response] = await Promise.all([page.waitForResponse(/decrypt-idv-images\/face\//), links.face.click()]);
  expect(response.status()).toBe(200);
  expect(response.headers()['cache-control']).toBe('no-store');
  expect(response.headers()['content-type']).toBe('image/png');
  await expect(page).toHaveURL(new RegExp(`/verify_student/decrypt-idv-images/face/${attempt.receipt_id}$`));
});
