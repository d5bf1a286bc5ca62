// The hosted vendor's flow in the slot, against a real `fake-vendor hosted` process: in an
// iframe (approved), and by redirect (denied). The vendor's page takes a photo with the
// fake camera, the vendor calls Vouch's signed webhook, and the learner sees the result.
import { test, expect } from '../support/csp';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startVouch, startHostedVendor, hostedEnv, stopAll, signIn, unique } from './slot-support';

const shots = path.resolve(__dirname, '../screenshots');
fs.mkdirSync(shots, { recursive: true });

let iframeBase = '';
let redirectBase = '';
let vendor = '';

test.beforeAll(async () => {
  vendor = await startHostedVendor(8150);
  iframeBase = await startVouch(8151, hostedEnv(vendor, 'iframe'));
  redirectBase = await startVouch(8152, hostedEnv(vendor, 'redirect'));
});
test.afterAll(stopAll);

test('iframe: the learner verifies on the vendor page inside Vouch and is approved', async ({ page }) => {
  await signIn(page, iframeBase, unique('ada'));
  const slot = page.locator('[data-slot="id_verification_slot"]');
  await expect(slot).toHaveAttribute('data-filler', 'hosted');
  const iframe = page.locator('iframe#hosted-flow');
  await expect(iframe).toHaveAttribute('src', new RegExp(`^${vendor}/flow/inq_`));
  const frame = page.frameLocator('iframe#hosted-flow');
  await expect(frame.getByRole('heading', { name: 'Fake Hosted Vendor' })).toBeVisible();
  await expect(frame.locator('#take-photo')).toBeEnabled();
  await frame.locator('#take-photo').click();
  await expect(frame.locator('#captured')).toBeVisible();
  await page.screenshot({ path: path.join(shots, 'slot-hosted-iframe.png'), fullPage: true });
  await frame.locator('#submit-photo').click();
  // The vendor page tells Vouch (postMessage) and Vouch shows the status: pending, then
  // approved once the vendor's decision webhook arrives.
  await expect(page).toHaveURL(/\/id-verification\/status$/);
  await expect(page.locator('[data-status]')).toHaveAttribute('data-status', /pending|approved/);
  await expect(page.locator('[data-status]')).toHaveAttribute('data-status', 'approved', { timeout: 30_000 });
});

test('redirect: the learner goes to the vendor, comes back, and a denial shows', async ({ page }) => {
  await signIn(page, redirectBase, unique('DENY_bob'));
  await page.waitForURL(new RegExp(`^${vendor}/flow/inq_`));
  await expect(page.getByRole('heading', { name: 'Fake Hosted Vendor' })).toBeVisible();
  await expect(page.locator('#take-photo')).toBeEnabled();
  await page.locator('#take-photo').click();
  await page.locator('#submit-photo').click();
  await page.waitForURL(`${redirectBase}/id-verification/status`);
  await expect(page.locator('[data-status]')).toHaveAttribute('data-status', 'must_reverify', { timeout: 30_000 });
});
