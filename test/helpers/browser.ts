import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'

const UNSAFE_FLAGS = new Set([
  '--disable-web-security', '--allow-running-insecure-content', '--disable-site-isolation-trials', '--single-process', '--no-zygote'
])

/**
 * A headless Chromium for browser tests: a system one when CHROMIUM_PATH names it, else the
 * binary `@sparticuz/chromium` ships (unpacked to /tmp at the first launch, about 3 s).
 */
export async function launchChromium (): Promise<Browser> {
  const fromEnv = process.env.CHROMIUM_PATH
  if (fromEnv != null && fromEnv !== '') return await chromium.launch({ executablePath: fromEnv, headless: true })
  const sparticuz = (await import('@sparticuz/chromium')).default
  // its default flags are for serverless screenshots: they turn the same-origin policy off (the
  // tests need a browser that enforces it like the user's does) and run one process, where closing
  // a second browser context takes the whole browser down
  const args = sparticuz.args.filter(a => !UNSAFE_FLAGS.has(a.split('=')[0]))
  return await chromium.launch({ executablePath: await sparticuz.executablePath(), args, headless: true })
}

/** Console errors and uncaught exceptions of a page: a test asserts there are none. */
export function watchErrors (page: Page): string[] {
  const errors: string[] = []
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`console: ${msg.text()}`) })
  page.on('pageerror', (err) => { errors.push(`pageerror: ${err.message}`) })
  return errors
}
