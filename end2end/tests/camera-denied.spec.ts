// Without the camera: Chromium launched without the fake-UI flag, so the camera prompt is
// refused, leads to the directions panel, and the upload fallback carries the learner to
// submitted; a browser without `mediaDevices` gets the unsupported panel; wrong files are
// refused with a message.
import { test, expect, type Page } from '../support/csp';
import { chromiumArgs } from '../playwright.config';
import { expectPanel, panel, signIn, submit, unique } from '../support/flow';

test.use({
  launchOptions: {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: chromiumArgs.filter((a) => a !== '--use-fake-ui-for-media-stream'),
  },
  permissions: [],
});

/// A real PNG to upload: a screenshot of the page itself.
async function png(page: Page): Promise<Buffer> {
  return page.screenshot({ clip: { x: 0, y: 0, width: 320, height: 240 } });
}

async function upload(page: Page, shotName?: string) {
  const input = page.getByLabel('Upload a photo');
  await expect(input).toBeVisible();
  if (shotName) await panel(page, shotName);
  await input.setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: await png(page) });
  await expect(page.locator('#captured-photo')).toHaveAttribute('src', /^data:image\/png;base64,/);
  await page.locator('#use-photo').click();
}

test('camera denied: the directions, then uploads carry the learner to submitted', async ({ page }) => {
  await signIn(page, `uma_${unique()}`);
  await expectPanel(page, 'review-requirements', 'Before you start');
  await page.locator('#start').click();
  await page.locator('#enable-camera').click();
  await expectPanel(page, 'enable-camera', 'Camera access is blocked');
  await expect(page.getByText('Chrome:')).toBeVisible();
  await panel(page, 'enable-camera');
  await page.locator('#upload-instead').click();
  await expectPanel(page, 'portrait-photo-context', 'Photo of your face');
  await page.locator('#next').click();
  await expectPanel(page, 'take-portrait-photo', 'Take a photo of your face');
  await expect(page.locator('video')).toHaveCount(0);

  // Wrong files first: refused before any upload, with a message at the field.
  const input = page.getByLabel('Upload a photo');
  await input.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  await expect(page.locator('#photo-file-error')).toHaveText(/not a JPEG or PNG/);
  await expect(input).toHaveAttribute('aria-invalid', 'true');
  await panel(page, 'upload-wrong-type');
  await input.setInputFiles({ name: 'fake.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not really a jpeg') });
  await expect(page.locator('#photo-file-error')).toHaveText(/not a JPEG or PNG/);
  const big = Buffer.alloc(5 * 1024 * 1024 + 1, 0x42);
  big.set([0xff, 0xd8, 0xff, 0xe0]);
  await input.setInputFiles({ name: 'huge.jpg', mimeType: 'image/jpeg', buffer: big });
  await expect(page.locator('#photo-file-error')).toHaveText(/too large.*5 MB/);
  await expect(page.locator('#captured-photo')).toHaveCount(0);

  await upload(page, 'take-portrait-photo-upload');
  await expectPanel(page, 'id-context', 'Photo of your ID');
  await page.locator('#next').click();
  await page.getByLabel('Full name').fill('Uma Upload');
  await page.locator('#next').click();
  await expectPanel(page, 'take-id-photo', 'Take a photo of your ID');
  await upload(page, 'take-id-photo-upload');
  await expectPanel(page, 'summary', 'Review and submit');
  await expect(page.locator('#face-photo')).toHaveAttribute('src', /^data:image\/png/);
  await submit(page);
  await page.locator('#see-status').click();
  await expect(page.locator('[data-status]')).toHaveAttribute('data-status', 'pending');
});

test('no mediaDevices: the unsupported panel offers uploads', async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'mediaDevices', { get: () => undefined, configurable: true });
  });
  await signIn(page, `ned_${unique()}`);
  await page.locator('#start').click();
  await page.locator('#enable-camera').click();
  await expectPanel(page, 'unsupported-camera', 'No camera found');
  await panel(page, 'unsupported-camera');
  await page.locator('#upload-instead').click();
  await expectPanel(page, 'portrait-photo-context', 'Photo of your face');
});
