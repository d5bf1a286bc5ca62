// id_verification_slot with the built-in camera flow: the default for Software Secure, and
// the fallback (with a console warning) when the configured filler name is unknown.
import { test, expect } from '../support/csp';
import { startVouch, stopAll, signIn, unique } from './slot-support';

let defaultBase = '';
let typoBase = '';

test.beforeAll(async () => {
  defaultBase = await startVouch(8140, {});
  typoBase = await startVouch(8141, { VOUCH_IDV__SLOT_FILLER: 'no_such_filler' });
});
test.afterAll(stopAll);

test('Software Secure renders the built-in camera flow in the slot', async ({ page }) => {
  await signIn(page, defaultBase, unique('ada'));
  const slot = page.locator('[data-slot="id_verification_slot"]');
  await expect(slot).toHaveAttribute('data-filler', 'builtin');
  await expect(page.getByRole('heading', { name: 'Before you start' })).toBeVisible();
  await page.locator('#start').click();
  await expect(page.getByRole('heading', { name: 'Allow camera access' })).toBeVisible();
  await page.locator('#enable-camera').click();
  await page.locator('#next').click();
  await expect(page.locator('video')).toBeVisible();
});

test('an unknown filler name falls back to the built-in flow with a warning', async ({ page }) => {
  const warnings: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'warning') warnings.push(m.text());
  });
  await signIn(page, typoBase, unique('bea'));
  const slot = page.locator('[data-slot="id_verification_slot"]');
  await expect(slot).toHaveAttribute('data-filler', 'builtin');
  await expect(slot).toHaveAttribute('data-requested', 'no_such_filler');
  await expect(page.getByRole('heading', { name: 'Before you start' })).toBeVisible();
  expect(warnings.some((w) => w.includes('no_such_filler'))).toBe(true);
});
