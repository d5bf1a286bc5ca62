// The learner flow, course-aware (issue 16): Open edX's flow links carry the course into the
// SPA. A course whose verification deadline passed shows the deadline page (the date in the
// learner's locale) and nothing can be submitted for it; an approved learner finds no way to
// submit again on any flow page; pay-and-verify hands payment to the commerce basket and the
// learner comes back into the photo steps; the upgrade variant and its missed deadline.
import { test, expect, type Page } from '../support/csp';
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtSecret } from '../playwright.config';
import { NOT_A_FORM, expectAccessible, expectPanel, signIn, status, submit, unique, waitForStatus, walkToSummary } from '../support/flow';
import { startVouch, stopAll } from './slot-support';

/// An LMS service user's JWT (HS256 with the server's `auth.jwt_secret`), for the LMS's REST calls.
function serviceJwt(): string {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const claims = { user_id: 4242, preferred_username: 'lms_worker', email: 'lms@example.com', administrator: true,
    exp: Math.floor(Date.now() / 1000) + 3600 };
  const hp = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${hp}.${crypto.createHmac('sha256', jwtSecret).update(hp).digest('base64url')}`;
}

/// The LMS reports a course run (`PUT /api/v1/courses/{course_key}`).
async function putCourseRun(page: Page, base: string, course: string, name: string, end: Date | null) {
  const res = await page.request.put(`${base}/api/v1/courses/${encodeURIComponent(course)}`, {
    headers: { Authorization: `JWT ${serviceJwt()}` },
    data: { display_name: name, end: end?.toISOString() ?? null },
  });
  expect(res.status(), await res.text()).toBe(200);
}

/// Both photo doors, from the page (with its session), for `course`: [status, error code] each.
async function submitFor(page: Page, course: string) {
  return page.evaluate(async (course) => {
    const png = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
    const form = await fetch('/verify_student/submit-photos/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ face_image: png, photo_id_image: png, course_key: course }).toString(),
    });
    const sfn = await fetch('/sfn/submit_photos', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'XMLHttpRequest' },
      body: JSON.stringify({ request: { face_image: png, photo_id_image: png, course_key: course } }),
    });
    return [[form.status, (await form.json()).error?.code], [sfn.status, (await sfn.json()).error?.code]];
  }, course);
}

test('a course whose verification deadline passed shows the deadline page and takes nothing', async ({ page, browser, baseURL }) => {
  const course = `course-v1:E2E+Late+${unique()}`;
  // The run ended on 5 December 2026 at noon: its (non-explicit) deadline follows the end.
  await putCourseRun(page, baseURL!, course, 'Late Course', new Date(Date.UTC(2026, 11, 5, 12)));
  await signIn(page, `lena_${unique()}`);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toHaveCount(0);
  await page.goto(`/verify_student/start-flow/${course}/`);
  const card = page.locator('#deadline-passed');
  await expect(card.getByRole('heading', { level: 1 })).toHaveText('Verification deadline passed');
  await expect(card).toContainText('was December 5, 2026.');
  await expect(page.locator('#course-name')).toHaveText('Late Course');
  // No camera and no way into the flow.
  await expect(page.locator('video, #start, #enable-camera, #status-action')).toHaveCount(0);
  await expectAccessible(page, 'deadline passed');
  // Every door refuses with deadline_passed, and nothing is stored.
  expect(await submitFor(page, course)).toEqual([[400, 'deadline_passed'], [400, 'deadline_passed']]);
  expect(await status(page)).toBe('none');

  // In French, the date is written the French way.
  const fr = await browser.newContext({ locale: 'fr-FR' });
  const french = await fr.newPage();
  const login = await french.request.post('/auth/dev-login', { headers: NOT_A_FORM, form: { username: `lea_${unique()}` }, maxRedirects: 0 });
  expect(login.status()).toBe(303);
  await french.goto(`/verify_student/verify-now/${course}/`);
  await expect(french.locator('#deadline-passed h1')).toHaveText('Date limite de vérification dépassée');
  await expect(french.locator('#deadline-passed')).toContainText('était le 5 décembre 2026.');
  await fr.close();
});

test('an approved learner finds no way to submit again, on any flow page', async ({ page }) => {
  const name = `olga_${unique()}`;
  await signIn(page, name);
  await walkToSummary(page, { name: 'Olga Approved' });
  await submit(page);
  await waitForStatus(page, 'approved');
  const course = `course-v1:E2E+Open+${unique()}`;
  for (const path of ['/id-verification/reverify', '/verify_student/reverify', '/id-verification/review-requirements',
    '/id-verification/summary', `/verify_student/start-flow/${course}/`, `/id-verification?course_id=${encodeURIComponent(course)}`]) {
    await page.goto(path);
    await expect(page.locator('[data-status]'), path).toHaveAttribute('data-status', 'approved');
    await expect(page.locator('#status-action, video, #start, #submit, #enable-camera'), path).toHaveCount(0);
  }
  // And the doors say the same (issue 15's rule, one place).
  expect(await submitFor(page, course)).toEqual([[400, 'cannot_verify_now'], [400, 'cannot_verify_now']]);
});

test.describe('pay and verify', () => {
  const PAY = 'course-v1:E2E+Pay+2026';
  const UP = 'course-v1:E2E+Up+2026';
  const LATE = 'course-v1:E2E+UpLate+2026';
  const basket = 'http://basket.vouch.test/basket/add/';
  // The LMS's course-modes and enrollment APIs: the enrollment turns paid when the basket is paid.
  const enrollments = new Map<string, string>();
  let lms: http.Server;
  let base: string;

  test.beforeAll(async () => {
    const day = 86_400_000;
    const modes: Record<string, object[]> = {
      [PAY]: [{ mode_slug: 'audit', min_price: 0 }, { mode_slug: 'verified', min_price: 49, sku: 'SKU-PAY' }],
      [UP]: [{ mode_slug: 'audit', min_price: 0 },
        { mode_slug: 'verified', min_price: 49, sku: 'SKU-UP', expiration_datetime: new Date(Date.now() + 30 * day).toISOString() }],
      [LATE]: [{ mode_slug: 'audit', min_price: 0 },
        { mode_slug: 'verified', min_price: 49, sku: 'SKU-LATE', expiration_datetime: new Date(Date.UTC(2026, 10, 20, 12)).toISOString() }],
    };
    lms = http.createServer((req, res) => {
      const url = decodeURIComponent(req.url ?? '');
      const course = url.match(/^\/api\/course_modes\/v1\/courses\/(.+)\/$/)?.[1];
      const enrollment = url.match(/^\/api\/enrollment\/v1\/enrollment\/([^,]+),(.+)$/);
      const mode = enrollment && enrollments.get(`${enrollment[1]} ${enrollment[2]}`);
      const body = course && modes[course] ? modes[course] : mode ? { mode, is_active: true } : null;
      res.writeHead(body ? 200 : 404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((r) => lms.listen(0, '127.0.0.1', r));
    const lmsUrl = `http://127.0.0.1:${(lms.address() as AddressInfo).port}`;
    base = await startVouch(Number(process.env.VOUCH_E2E_PORT ?? 8160) + 5, {
      VOUCH_AUTH__JWT_SECRET: jwtSecret,
      VOUCH_COMMERCE__BASKET_URL: basket,
      VOUCH_COMMERCE__LMS_API_URL: lmsUrl,
    });
  });
  test.afterAll(async () => {
    await stopAll();
    await new Promise((r) => lms.close(r));
  });

  async function learner(page: Page, username: string) {
    await page.goto(`${base}/id-verification`);
    await page.getByLabel('Username').fill(username);
    await page.getByRole('button', { name: 'Sign in (development)' }).click();
    await expect(page.getByRole('heading', { name: 'Sign in' })).toHaveCount(0);
  }

  test('first-time verify hands payment to the basket and returns into the photo steps', async ({ page }) => {
    await putCourseRun(page, base, PAY, 'Paid Course', null);
    const username = `paul_${unique()}`;
    await learner(page, username);
    await page.goto(`${base}/verify_student/start-flow/${PAY}/`);
    await expect(page.locator('#make-payment h1')).toHaveText('Make payment');
    await expect(page.locator('#course-name')).toHaveText('Paid Course');
    const pay = page.locator('#course-action');
    await expect(pay).toHaveAttribute('href', `${basket}?sku=SKU%2DPAY`);
    await expectAccessible(page, 'make payment');
    // The commerce service takes the payment, enrolls the learner in the verified track, and
    // sends them to Open edX's payment-confirmation page.
    let paidSku = '';
    await page.route(`${basket}**`, async (route) => {
      paidSku = new URL(route.request().url()).searchParams.get('sku') ?? '';
      enrollments.set(`${username} ${PAY}`, 'verified');
      await route.fulfill({ status: 302, headers: { location: `${base}/verify_student/payment-confirmation/${PAY}/` } });
    });
    await pay.click();
    expect(paidSku).toBe('SKU-PAY');
    // Back in the photo steps, for this course.
    await expect(page).toHaveURL(new RegExp(`^${base}/id-verification/review-requirements$`));
    await expect(page.getByRole('heading', { level: 1, name: 'Before you start' })).toBeVisible();
    await expect(page.locator('.eyebrow')).toContainText('Paid Course');
    await page.locator('#start').click();
    await expectPanel(page, 'request-camera-access', 'Allow camera access');
    expect(await page.evaluate(() => sessionStorage.getItem('vouch.idv.flow'))).toContain(PAY);
  });

  test('the upgrade variant pays for the verified track, and its missed deadline has its page', async ({ page }) => {
    const username = `ursula_${unique()}`;
    enrollments.set(`${username} ${UP}`, 'audit');
    enrollments.set(`${username} ${LATE}`, 'audit');
    await learner(page, username);
    await page.goto(`${base}/verify_student/upgrade/${UP}/`);
    await expect(page.locator('#make-payment h1')).toHaveText('Upgrade to the verified track');
    await expect(page.locator('#course-action')).toHaveAttribute('href', `${basket}?sku=SKU%2DUP`);
    await page.goto(`${base}/verify_student/upgrade/${LATE}/`);
    await expect(page.locator('#deadline-passed h1')).toHaveText('Upgrade deadline passed');
    await expect(page.locator('#deadline-passed')).toContainText('until November 20, 2026.');
    await expect(page.locator('#course-action, video, #start')).toHaveCount(0);
    await expectAccessible(page, 'upgrade deadline passed');
  });
});
