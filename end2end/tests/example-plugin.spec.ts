// `examples/custom-vendor` in the browser: its `custom-vouch` binary (Vouch as a library with
// the Acme vendor, routing step and subscriber) serves its own frontend build (the stock SPA
// plus the `acme_flow` slot filler, registered by `examples/custom-vendor/frontend`), and
// talks over HTTP to a small fake of Acme's API started here. A learner who opens the page
// for an Acme course sees Acme's filler with the operator's props and the course, continues
// to Acme's page, finishes there, and is back on Vouch's status page, approved by Acme's
// callback. Another learner still gets Vouch's camera flow from the same build.
//
// `cargo xtask test` builds both and sets VOUCH_EXAMPLE_BIN and VOUCH_EXAMPLE_DIST.
import { test, expect } from '../support/csp';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { startVouch, stopAll, signIn, unique } from './slot-support';

const example = {
  bin: process.env.VOUCH_EXAMPLE_BIN ?? path.resolve(__dirname, '../../target/debug/custom-vouch'),
  dist: process.env.VOUCH_EXAMPLE_DIST ?? path.resolve(__dirname, '../../examples/custom-vendor/frontend/dist'),
};

const API_KEY = 'acme-browser-api-key';
const TOKEN = 'acme-browser-callback-token';
const COURSE = 'course-v1:Acme+X+1';
const HEADLINE = 'Verify with Acme for Example University';
const HELP = 'Questions? Write to help@example.edu.';

type Session = { id: string; callbackUrl: string; returnUrl: string; status: string };

/// Acme's API and flow page, as the example's vendor uses them: sessions opened with the
/// bearer key, a flow page per session whose button decides, calls Vouch back with the
/// token, and sends the learner to the session's return URL.
function startAcme(): Promise<{ base: string; sessions: Map<string, Session>; server: http.Server }> {
  const sessions = new Map<string, Session>();
  let base = '';
  const json = (res: http.ServerResponse, status: number, body: object) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const view = (s: Session) => ({ id: s.id, flow_url: `${base}/flow/${s.id}`, status: s.status });
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', base);
      const authorised = req.headers.authorization === `Bearer ${API_KEY}`;
      if (req.method === 'POST' && url.pathname === '/sessions') {
        if (!authorised) return json(res, 401, { error: 'bad key' });
        const { callback_url: callbackUrl, return_url: returnUrl } = JSON.parse(body);
        const s = { id: `ses_${sessions.size + 1}`, callbackUrl, returnUrl, status: 'open' };
        sessions.set(s.id, s);
        return json(res, 201, view(s));
      }
      const read = url.pathname.match(/^\/sessions\/([^/]+)$/);
      if (req.method === 'GET' && read) {
        const s = sessions.get(read[1]);
        if (!s) return json(res, 404, {});
        return authorised ? json(res, 200, view(s)) : json(res, 401, {});
      }
      const page = url.pathname.match(/^\/flow\/([^/]+)$/);
      if (req.method === 'GET' && page && sessions.has(page[1])) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
          `<!doctype html><title>Acme</title><h1>Acme Identity</h1><p id="session">${page[1]}</p>` +
            `<form method="post" action="/flow/${page[1]}/finish"><button>Approve</button></form>`,
        );
        return;
      }
      const finish = url.pathname.match(/^\/flow\/([^/]+)\/finish$/);
      const s = finish && sessions.get(finish[1]);
      if (req.method === 'POST' && s) {
        s.status = 'approved';
        const callback = await fetch(s.callbackUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-acme-token': TOKEN },
          body: JSON.stringify({ session_id: s.id, status: s.status }),
        });
        if (!callback.ok) return json(res, 502, { callback: callback.status, body: await callback.text() });
        res.writeHead(303, { location: s.returnUrl }).end();
        return;
      }
      json(res, 404, {});
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve({ base, sessions, server });
    }),
  );
}

let acme: Awaited<ReturnType<typeof startAcme>>;
let base = '';

test.beforeAll(async () => {
  acme = await startAcme();
  base = await startVouch(
    8175,
    {
      VOUCH_PLUGINS__ACME__API_URL: `${acme.base}/`,
      VOUCH_PLUGINS__ACME__API_KEY: API_KEY,
      VOUCH_PLUGINS__ACME__CALLBACK_TOKEN: TOKEN,
      VOUCH_PLUGINS__ACME__COURSES: COURSE,
      VOUCH_FILTERS__VENDOR_REQUESTED: 'acme_route',
      VOUCH_IDV__SLOT_PROPS__ACME_HEADLINE: HEADLINE,
      VOUCH_IDV__SLOT_PROPS__ACME_HELP: HELP,
    },
    example,
  );
});
test.afterAll(async () => {
  await stopAll();
  await new Promise((r) => acme.server.close(r));
});

test('opened for an Acme course, the example filler shows the props and course, and Acme approves', async ({ page }) => {
  await signIn(page, base, unique('cy'));
  await expect(page.getByRole('heading', { name: 'Sign in' })).toHaveCount(0);
  // The example's own build (its index.html), not the stock bundle.
  await expect(page).toHaveTitle('Vouch with Acme — verify your identity');
  await page.goto(`${base}/id-verification?course_id=${encodeURIComponent(COURSE)}&flow=verify-now`);

  const slot = page.locator('[data-slot="id_verification_slot"]');
  await expect(slot).toHaveAttribute('data-filler', 'acme_flow');
  const filler = page.locator('#acme-flow');
  await expect(filler).toHaveAttribute('data-course', COURSE);
  await expect(filler.getByRole('heading', { level: 1 })).toHaveText(HEADLINE);
  await expect(page.locator('#acme-course')).toHaveText(`You are verifying for ${COURSE}.`);
  await expect(page.locator('#acme-help')).toHaveText(HELP);
  // The session custom-vouch opened at Acme for this learner, routed by the course.
  const link = page.locator('#acme-continue');
  await expect(link).toHaveAttribute('href', new RegExp(`^${acme.base}/flow/ses_\\d+$`));
  const session = acme.sessions.get((await link.getAttribute('href'))!.split('/').pop()!)!;
  expect(session.callbackUrl).toBe(`${base}/callbacks/acme`);

  // The filler's action: on to Acme's page, which decides and calls custom-vouch back.
  await link.click();
  await expect(page.getByRole('heading', { name: 'Acme Identity' })).toBeVisible();
  await expect(page.locator('#session')).toHaveText(session.id);
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.waitForURL(`${base}/id-verification/status`);
  await expect(page.locator('[data-status]')).toHaveAttribute('data-status', 'approved', { timeout: 30_000 });
  expect(session.status).toBe('approved');
});

test('without an Acme course, the same build gives another learner Vouch\'s camera flow', async ({ page }) => {
  const sessionsBefore = acme.sessions.size;
  await signIn(page, base, unique('dan'));
  const slot = page.locator('[data-slot="id_verification_slot"]');
  await expect(slot).toHaveAttribute('data-filler', 'builtin');
  await expect(page.getByRole('heading', { name: 'Before you start' })).toBeVisible();
  await expect(page.locator('#acme-flow')).toHaveCount(0);
  expect(acme.sessions.size, 'no Acme session for a learner Acme does not verify').toBe(sessionsBefore);
});
