// Every browser test runs under the server's Content Security Policy and fails on any
// violation of it: a `securitypolicyviolation` event in any frame, or Chromium's console
// "Refused to …" message. Specs import `test` and `expect` from here instead of from
// '@playwright/test'. The guard covers the test's own context and every context the test
// opens with `browser.newContext()`.
import { test as base, expect, type BrowserContext, type ConsoleMessage } from '@playwright/test';

export { expect };
export type { Browser, Page } from '@playwright/test';

async function guard(context: BrowserContext, violations: string[]) {
  await context.exposeBinding('__vouchCspViolation', (_source, text: string) => {
    violations.push(text);
  });
  // Init scripts are injected by the browser's debugging protocol: the policy does not apply
  // to them, so this listener runs whatever the page's policy says.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const report = (window as unknown as { __vouchCspViolation?: (t: string) => void }).__vouchCspViolation;
      report?.(`${location.href}: ${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  const watch = (msg: ConsoleMessage) => {
    if (msg.text().includes('Refused to')) violations.push(msg.text());
  };
  for (const page of context.pages()) page.on('console', watch);
  context.on('page', (page) => page.on('console', watch));
}

export const test = base.extend<{ cspGuard: void }>({
  cspGuard: [
    async ({ context, browser }, use) => {
      const violations: string[] = [];
      await guard(context, violations);
      const newContext = browser.newContext.bind(browser);
      browser.newContext = async (...args: Parameters<typeof newContext>) => {
        const c = await newContext(...args);
        await guard(c, violations);
        return c;
      };
      try {
        await use();
      } finally {
        browser.newContext = newContext;
      }
      expect(violations, 'Content Security Policy violations').toEqual([]);
    },
    { auto: true },
  ],
});
