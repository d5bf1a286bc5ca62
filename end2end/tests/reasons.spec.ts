// A denial with two vendor reason codes reads as two sentences a learner can act on (Open
// edX's parsed_error_msg), in the browser's language: English, then French for the same
// learner; never the vendor's codes.
import { test, expect } from '../support/csp';
import { NOT_A_FORM, signIn, submit, unique, waitForStatus, walkToSummary } from '../support/flow';

const RAW = ['userPhotoReasons', 'photoIdReasons', 'Face out of view', 'Photo hidden/No photo', '[{'];

test('a denial with two reason codes shows two readable sentences, in English and in French', async ({ page, browser }) => {
  const username = `rene_${unique()}`;
  await signIn(page, username);
  // The fake vendor denies a name with its DENY marker: face out of view, ID photo hidden.
  await walkToSummary(page, { name: 'René DENY Martin' });
  await submit(page);
  await waitForStatus(page, 'must_reverify');
  const english = page.locator('#reasons li');
  await expect(english).toHaveText([
    'Your face was not visible in your self-photo.',
    'The photo on your ID was hidden or missing.',
  ]);
  const shown = await page.locator('main').innerText();
  for (const raw of RAW) expect(shown).not.toContain(raw);

  // The same learner in a French browser.
  const fr = await browser.newContext({ locale: 'fr-FR' });
  const frPage = await fr.newPage();
  const login = await frPage.request.post('/auth/dev-login', { headers: NOT_A_FORM, form: { username }, maxRedirects: 0 });
  expect(login.status()).toBe(303);
  await frPage.goto('/id-verification/status');
  await expect(frPage.locator('html')).toHaveAttribute('lang', 'fr');
  await expect(frPage.locator('#reasons li')).toHaveText([
    "Votre visage n'était pas visible sur votre photo.",
    "La photo de votre pièce d'identité était masquée ou absente.",
  ]);
  const frShown = await frPage.locator('main').innerText();
  for (const raw of RAW) expect(frShown).not.toContain(raw);
  await fr.close();
});
