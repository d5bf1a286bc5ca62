// A custom filler compiled in and registered by name (`operator_notice`), with the
// operator's props from configuration, wrapping the vendor's flow.
import { test, expect } from '../support/csp';
import { startVouch, stopAll, signIn, unique } from './slot-support';

let base = '';

test.beforeAll(async () => {
  base = await startVouch(8145, {
    VOUCH_IDV__SLOT_FILLER: 'operator_notice',
    VOUCH_IDV__SLOT_PROPS__HEADLINE: 'Welcome to Example University',
    VOUCH_IDV__SLOT_PROPS__MESSAGE: 'Have your student card ready.',
  });
});
test.afterAll(stopAll);

test('the slot renders the filler registered as operator_notice with its props', async ({ page }) => {
  await signIn(page, base, unique('cy'));
  const slot = page.locator('[data-slot="id_verification_slot"]');
  await expect(slot).toHaveAttribute('data-filler', 'operator_notice');
  const notice = page.locator('#operator-notice');
  await expect(notice.getByRole('heading', { name: 'Welcome to Example University' })).toBeVisible();
  await expect(notice).toContainText('Have your student card ready.');
  // The vendor's own flow follows the notice (built-in for Software Secure).
  await expect(page.getByRole('heading', { name: 'Before you start' })).toBeVisible();
});
