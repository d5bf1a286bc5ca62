// The real processes around the in-house review test (end2end/tests/review.spec.ts):
// `vouch serve` with `idv.vendor = in_house` on its own SQLite database, the `vouch` CLI on
// that database, an SMTP sink (Python's aiosmtpd writing a Maildir, as the Rust email tests
// use), a webhook receiver that checks Vouch's signature, and an LTI 1.1 outcome service
// that records replaceResult requests. Also: LTI launches signed with OAuth1 HMAC-SHA1, and
// the Open edX JWT cookie pair that signs an LMS administrator in.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { vouchBin, distDir } from '../tests/slot-support';

const children: ChildProcess[] = [];
const servers: http.Server[] = [];
const dataDirs: string[] = [];

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });

/// One mail the sink received: its headers (lower-case names) and raw text.
export interface Mail { to: string; subject: string; raw: string }

/// `python3 -m aiosmtpd` writing each message to a Maildir before it answers 250.
export async function startSmtpSink(port: number, dir: string) {
  const maildir = path.join(dir, 'maildir');
  children.push(spawn('python3', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir], {
    stdio: 'ignore',
  }));
  await until('the SMTP sink (python3 -m aiosmtpd; cargo xtask test installs it)', async () => ((await portOpen(port)) ? true : undefined));
  const header = (raw: string, name: string) =>
    raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)
      .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))?.slice(name.length + 1).trim() ?? '';
  return {
    mails(): Mail[] {
      const dirNew = path.join(maildir, 'new');
      if (!fs.existsSync(dirNew)) return [];
      return fs.readdirSync(dirNew).map((f) => {
        const raw = fs.readFileSync(path.join(dirNew, f), 'utf8');
        return { to: header(raw, 'To'), subject: header(raw, 'Subject'), raw };
      });
    },
  };
}

/// A webhook receiver: keeps every event whose `Vouch-Signature` is right for `secret`.
export async function startWebhookReceiver(port: number, secret: string) {
  const events: { event_type: string; data?: { status?: string; user?: { username?: string } } }[] = [];
  const bad: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const sig = String(req.headers['vouch-signature'] ?? '');
      const t = /t=(\d+)/.exec(sig)?.[1] ?? '';
      const v1 = /v1=([0-9a-f]+)/.exec(sig)?.[1] ?? '';
      const want = crypto.createHmac('sha256', secret).update(`${t}.${raw}`).digest('hex');
      if (v1.length === want.length && crypto.timingSafeEqual(Buffer.from(v1), Buffer.from(want))) events.push(JSON.parse(raw));
      else bad.push(sig);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  servers.push(server);
  return { url: `http://127.0.0.1:${port}/hooks`, events, bad };
}

/// An LTI 1.1 outcome service: records each replaceResult (sourcedid, score, whether the
/// OAuth body hash matches the body) and answers success.
export async function startOutcomeService(port: number) {
  const grades: { sourcedid: string; score: string; bodyHashOk: boolean; signed: boolean }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const xml = body.toString('utf8');
      const auth = String(req.headers.authorization ?? '');
      const hash = decodeURIComponent(/oauth_body_hash="([^"]*)"/.exec(auth)?.[1] ?? '');
      const tag = (name: string) => new RegExp(`<(?:\\w+:)?${name}>([^<]*)<`).exec(xml)?.[1] ?? '';
      if (xml.includes('replaceResultRequest')) {
        grades.push({
          sourcedid: tag('sourcedId'),
          score: tag('textString'),
          bodyHashOk: hash === crypto.createHash('sha1').update(body).digest('base64'),
          signed: /oauth_signature_method="HMAC-SHA1"/.test(auth) && /oauth_signature="[^"]+"/.test(auth),
        });
      }
      res.writeHead(200, { 'Content-Type': 'application/xml' }).end(
        '<?xml version="1.0" encoding="UTF-8"?><imsx_POXEnvelopeResponse xmlns="http://www.imsglobal.org/services/ltiv1p1/xsd/imsoms_v1p0">'
        + '<imsx_POXHeader><imsx_POXResponseHeaderInfo><imsx_version>V1.0</imsx_version><imsx_messageIdentifier>r1</imsx_messageIdentifier>'
        + '<imsx_statusInfo><imsx_codeMajor>success</imsx_codeMajor><imsx_severity>status</imsx_severity>'
        + '<imsx_operationRefIdentifier>replaceResult</imsx_operationRefIdentifier></imsx_statusInfo>'
        + '</imsx_POXResponseHeaderInfo></imsx_POXHeader><imsx_POXBody><replaceResultResponse/></imsx_POXBody></imsx_POXEnvelopeResponse>');
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  servers.push(server);
  return { url: `http://127.0.0.1:${port}/grades`, grades };
}

/// RFC 3986 percent-encoding, as OAuth 1.0 signs.
const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/// An LTI 1.1 launch form signed with OAuth1 HMAC-SHA1 (what the LMS's auto-submitting form posts).
export function signedLaunch(url: string, key: string, secret: string, params: Record<string, string>): Record<string, string> {
  const all: Record<string, string> = {
    ...params,
    oauth_consumer_key: key,
    oauth_nonce: crypto.randomBytes(16).toString('hex'),
    oauth_signature_method: 'HMAC-SHA1',
    oauth_timestamp: String(Math.floor(Date.now() / 1000)),
    oauth_version: '1.0',
    oauth_callback: 'about:blank',
  };
  const normalized = Object.entries(all).map(([k, v]) => [enc(k), enc(v)]).sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`).join('&');
  const base = ['POST', enc(url), enc(normalized)].join('&');
  all.oauth_signature = crypto.createHmac('sha1', `${enc(secret)}&`).update(base).digest('base64');
  return all;
}

/// The Open edX JWT cookie pair (HS256 with `auth.jwt_secret`) of an LMS administrator.
export function lmsStaffCookies(username: string, base: string, jwtSecret: string) {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const claims = { user_id: 900_000 + Math.floor(Math.random() * 99_999), preferred_username: username,
    email: `${username}@example.com`, name: 'Stella Staff', administrator: true, exp: Math.floor(Date.now() / 1000) + 3600 };
  const headerPayload = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  const signature = crypto.createHmac('sha256', jwtSecret).update(headerPayload).digest('base64url');
  return [
    { name: 'edx-jwt-cookie-header-payload', value: headerPayload, url: base },
    { name: 'edx-jwt-cookie-signature', value: signature, url: base },
  ];
}

/// A `vouch` deployment of one data dir: `serve` in the background and CLI commands.
export class Vouch {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vouch-review-'));
  readonly base: string;
  readonly env: Record<string, string>;

  constructor(readonly port: number, env: Record<string, string>) {
    this.base = `http://127.0.0.1:${port}`;
    dataDirs.push(this.dir);
    const keys = path.join(this.dir, 'keys');
    execFileSync(vouchBin, ['debug', 'gen-keys', '--out', keys], { stdio: 'ignore' });
    this.env = {
      VOUCH_SERVER__BIND: `127.0.0.1:${port}`,
      VOUCH_SERVER__PUBLIC_URL: this.base,
      VOUCH_SERVER__STATIC_DIR: distDir,
      VOUCH_DATABASE__URL: `sqlite://${this.dir}/vouch.db?mode=rwc`,
      VOUCH_VAULT__LOCAL_DIR: `${this.dir}/photos`,
      VOUCH_AUTH__DEV_LOGIN: 'true',
      VOUCH_JOBS__POLL_INTERVAL_MS: '100',
      VOUCH_LOG: 'warn',
      VOUCH_IDV__VENDOR: 'in_house',
      // The review key pair: photos are sealed for it and opened only for a claim holder.
      VOUCH_REVIEW__RSA_PUBLIC_KEY: fs.readFileSync(path.join(keys, 'vendor-public.pem'), 'utf8'),
      VOUCH_REVIEW__RSA_PRIVATE_KEY: fs.readFileSync(path.join(keys, 'vendor-private.pem'), 'utf8'),
      ...env,
    };
  }

  /// Runs a management command on this deployment's database; returns its stdout.
  cli(args: string[]): string {
    return execFileSync(vouchBin, args, { env: { ...process.env, ...this.env }, encoding: 'utf8' });
  }

  async serve() {
    children.push(spawn(vouchBin, ['serve'], { env: { ...process.env, ...this.env }, stdio: ['ignore', 'ignore', 'inherit'] }));
    await until('vouch serve', async () => {
      try {
        return (await fetch(`${this.base}/readyz`)).ok ? true : undefined;
      } catch {
        return undefined;
      }
    });
  }
}

/// Stops every process and server started here.
export async function stopReviewProcesses() {
  const running = children.splice(0);
  const exits = running.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r))));
  for (const c of running) c.kill('SIGTERM');
  await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 5_000))]);
  for (const s of servers.splice(0)) s.close();
  for (const d of dataDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}
