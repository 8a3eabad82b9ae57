// The console's queue page of a stream, in a real browser: "Read from an offset" instead of "Get
// messages", reading from an offset lists the messages with their offsets and takes nothing.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import amqp from 'amqplib'
import type { Page } from 'playwright-core'
import { type RunningBroker, startBroker } from '../../src/index.js'
import { type Browser, launchChromium } from './browser.js'

let broker: RunningBroker
let browser: Browser
let page: Page
const pageErrors: string[] = []

before(async () => {
  broker = await startBroker({ amqpPort: 0, httpPort: 0, bind: '127.0.0.1', logLevel: 'silent' })
  browser = await launchChromium()
  page = browser.context.pages()[0] ?? (await browser.context.newPage())
  page.setDefaultTimeout(30_000)
  page.on('pageerror', (e) => pageErrors.push(e.message))
})

after(async () => {
  await browser?.close()
  await broker?.close()
})

test("a stream's page reads messages from an offset", async () => {
  const conn = await amqp.connect(broker.amqpUrl)
  const ch = await conn.createConfirmChannel()
  await ch.assertQueue('clicks', { durable: true, arguments: { 'x-queue-type': 'stream' } })
  for (let i = 0; i < 6; i++) ch.sendToQueue('clicks', Buffer.from(`click ${i}`))
  await ch.waitForConfirms()

  await page.goto(`${broker.httpUrl}#/queues/%2F/clicks`)
  await page.fill('#login input[name=username]', 'guest')
  await page.fill('#login input[name=password]', 'guest')
  await page.click('#login button[type=submit]')
  const box = page.locator('details.section:has(summary:text("Read from an offset"))')
  await box.waitFor()
  assert.equal(await page.locator('details.section:has(summary:text("Get messages"))').isVisible(), false)
  if ((await box.getAttribute('open')) === null) await box.locator('summary').click()
  await box.locator('input[name=offset]').fill('4')
  await box.getByRole('button', { name: 'Read messages' }).click()
  const rows = box.locator('tbody tr')
  await rows.nth(1).waitFor()
  const cells = async (i: number) => (await rows.nth(i).locator('td').allInnerTexts()).map((t) => t.trim())
  assert.equal(await rows.count(), 2)
  assert.equal((await cells(0))[0], '4')
  assert.equal((await cells(1))[4], 'click 5')
  assert.equal((await ch.checkQueue('clicks')).messageCount, 6, 'reading took nothing')
  assert.deepEqual(pageErrors, [])
  await conn.close()
})
