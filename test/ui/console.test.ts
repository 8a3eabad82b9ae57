// The web console in a real browser (Debian's chromium through playwright-core) against an in-process
// Warren: log in, read the overview, create a queue, publish, get, purge, bind, add a user and
// permissions, export and import definitions, close a connection, log out. The tests run in order
// on one page, as a user would click through. Screenshots of the main pages go to a temp directory
// (printed as a diagnostic); WARREN_UPDATE_SCREENSHOTS=1 also copies them to docs/screenshots/.
import assert from 'node:assert/strict'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import amqp from 'amqplib'
import type { Page } from 'playwright-core'
import { type RunningBroker, startBroker } from '../../src/index.js'
import { type Browser, launchChromium } from './browser.js'

const DOCS_SHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url))
const shotDir = mkdtempSync(join(tmpdir(), 'warren-console-'))
const shots: string[] = []

let broker: RunningBroker
let browser: Browser
let page: Page
let conn: amqp.ChannelModel
let traffic: ReturnType<typeof setInterval> | undefined
const pageErrors: string[] = []
const nativeDialogs: string[] = []

before(async () => {
  broker = await startBroker({ amqpPort: 0, httpPort: 0, bind: '127.0.0.1', logLevel: 'silent' })
  conn = await amqp.connect(broker.amqpUrl, { clientProperties: { connection_name: 'orders-service' } })
  const ch = await conn.createChannel()
  await ch.assertQueue('orders', { durable: true })
  for (let i = 1; i <= 12; i++) ch.sendToQueue('orders', Buffer.from(JSON.stringify({ order: i })))
  // Steady traffic through a consumed queue, so the rate chart has publish, deliver and ack lines.
  await ch.assertQueue('work')
  await ch.prefetch(10)
  await ch.consume('work', (m) => m && ch.ack(m))
  traffic = setInterval(() => ch.sendToQueue('work', Buffer.from('tick')), 40)
  browser = await launchChromium()
  page = browser.context.pages()[0] ?? (await browser.context.newPage())
  // Playwright's 30 s: other test files (floods, crash rounds) load both cores while these steps run.
  page.setDefaultTimeout(30_000)
  page.on('pageerror', (e) => pageErrors.push(e.message))
  // The console never uses the browser's own dialogs (confirm.js asks in the page): any is a failure.
  page.on('dialog', (d) => {
    nativeDialogs.push(`${d.type()}: ${d.message()}`)
    void d.dismiss()
  })
})

after(async () => {
  clearInterval(traffic)
  await browser?.close()
  await conn?.close().catch(() => {})
  await broker?.close()
})

async function shot(name: string, fullPage = false): Promise<void> {
  const file = join(shotDir, `${name}.png`)
  // Toasts are dismissed as a user would (one may vanish by itself meanwhile).
  for (const toast of await page.locator('.toast').all()) await toast.click({ timeout: 500 }).catch(() => {})
  await page.screenshot({ path: file, fullPage })
  shots.push(file)
  if (process.env['WARREN_UPDATE_SCREENSHOTS']) {
    mkdirSync(DOCS_SHOTS, { recursive: true })
    copyFileSync(file, join(DOCS_SHOTS, `${name}.png`))
  }
}

// Page scripts as strings: the test's TypeScript has no DOM types.
const go = (hash: string) => page.evaluate(`location.hash = ${JSON.stringify(hash)}`)
const stored = () => page.evaluate(`sessionStorage.getItem('warren.credentials')`)
const status = (scope: string) => page.locator(`${scope} .status`)
/** Destructive actions ask in the page (confirm.js): the test answers as a user would. */
const confirmInPage = () => page.locator('dialog.confirm-dialog button.confirm').click()

async function api(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(new URL(path, broker.httpUrl), {
    method,
    headers: {
      authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64'),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  return text === '' ? undefined : (JSON.parse(text) as unknown)
}

test('the login form shows the API reason for a refused login, then logs in', async () => {
  await page.goto(broker.httpUrl)
  await page.fill('#login input[name=username]', 'guest')
  await page.fill('#login input[name=password]', 'wrong')
  await page.click('#login button[type=submit]')
  await page.locator('#login .status.error').waitFor()
  assert.match(await status('#login').innerText(), /401 not_authorized: Login failed/)
  await shot('login')
  await page.fill('#login input[name=password]', 'guest')
  await page.click('#login button[type=submit]')
  await page.locator('nav.tabs a.active', { hasText: 'Overview' }).waitFor()
  assert.match(String(await stored()), /"user":"guest"/)
})

test('the overview shows object counts, queued messages and both charts', async () => {
  await page.locator('[data-total=queues] .count', { hasText: '2' }).waitFor()
  assert.equal(await page.locator('[data-total=connections] .count').innerText(), '1')
  assert.equal(await page.locator('[data-total=ready] .count').innerText(), '12')
  const captions = await page.locator('figure.chart figcaption').allInnerTexts()
  assert.deepEqual(
    captions.map((c) => c.split('\n')[0]?.trim()),
    ['Queued messages', 'Message rates'],
  )
  assert.equal(await page.locator('figure.chart select.chart-range').count(), 2)
  // uPlot draws on canvas; hovering the newest point shows its values in the legend.
  await page.locator('figure.chart canvas').nth(1).waitFor()
  const over = page.locator('figure.chart .u-over').first()
  const box = await over.boundingBox()
  assert.ok(box)
  await over.hover({ position: { x: box.width - 1, y: box.height / 2 } })
  assert.match(await page.locator('figure.chart .u-legend').first().innerText(), /Ready\s*12/)
})

test('a queue added with the form is listed', async () => {
  await go('#/queues')
  const form = page.locator('form.add-queue')
  await form.locator('input[name=name]').fill('ui-created')
  await form.locator('select[name=durable]').selectOption('false')
  await form.locator('.hints a', { hasText: 'Max length' }).first().click() // a typed argument row
  await form.locator('.kv-value').first().fill('100')
  await form.locator('button[type=submit]').click()
  await form.locator('.status.ok', { hasText: "Queue 'ui-created' declared." }).waitFor()
  await page.locator('tr[data-key=ui-created]').waitFor()
  const q = (await api('GET', 'api/queues/%2F/ui-created')) as { durable: boolean; arguments: unknown }
  assert.equal(q.durable, false)
  assert.deepEqual(q.arguments, { 'x-max-length': 100 })
  await shot('queues')
})

test('an API error is shown next to the form that caused it', async () => {
  const form = page.locator('form.add-queue')
  await form.locator('input[name=name]').fill('ui-created')
  await form.locator('select[name=durable]').selectOption('true')
  await form.locator('button[type=submit]').click()
  const error = form.locator('.status.error')
  await error.waitFor()
  assert.match(await error.innerText(), /^400 bad_request: .*inequivalent arg 'durable'/)
})

test('the queue page publishes a message, gets it back and purges the queue', async () => {
  await page.locator('tr[data-key=ui-created] a').click()
  await page.locator('h1', { hasText: 'Queue ui-created' }).waitFor()
  const publish = page.locator('form.publish')
  await publish.locator('.kv-key').first().fill('x-origin') // first header
  await publish.locator('.kv-value').first().fill('console')
  await publish.locator('textarea[name=payload]').fill('{"hello":"from the console"}')
  await publish.locator('button[type=submit]').click()
  await publish.locator('.status.ok', { hasText: 'Message published.' }).waitFor()

  const get = page.locator('form.get')
  await get.locator('button[type=submit]').click()
  await get.locator('.status.ok', { hasText: 'Got 1 message.' }).waitFor()
  const message = page.locator('.message').first()
  assert.equal(await message.locator('pre.payload').innerText(), '{"hello":"from the console"}')
  assert.match(await message.innerText(), /header x-origin\s+console/)
  await shot('queue', true)

  await page.locator('button.purge').click()
  await confirmInPage()
  await page.locator('.danger-zone + .status.ok', { hasText: 'Queue purged.' }).waitFor()
  assert.equal(((await api('GET', 'api/queues/%2F/ui-created')) as { messages: number }).messages, 0)
})

test('an exchange page binds a queue and publishes to it', async () => {
  await go('#/exchanges/%2F/amq.direct')
  await page.locator('h1', { hasText: 'Exchange amq.direct' }).waitFor()
  const bind = page.locator('form.bind')
  await bind.locator('input[name=other]').fill('ui-created')
  await bind.locator('input[name=routing_key]').fill('greetings')
  await bind.locator('button[type=submit]').click()
  await bind.locator('.status.ok', { hasText: 'Binding added.' }).waitFor()
  await page.locator('table.list td', { hasText: 'greetings' }).first().waitFor()

  const publish = page.locator('form.publish')
  await publish.locator('input[name=routing_key]').fill('greetings')
  await publish.locator('textarea[name=payload]').fill('hello via amq.direct')
  await publish.locator('button[type=submit]').click()
  await publish.locator('.status.ok', { hasText: 'Message published.' }).waitFor()
  await publish.locator('input[name=routing_key]').fill('nowhere')
  await publish.locator('button[type=submit]').click()
  await publish.locator('.status.warn', { hasText: 'Message published, but not routed.' }).waitFor()
  assert.equal(((await api('GET', 'api/queues/%2F/ui-created')) as { messages: number }).messages, 1)
  await shot('exchange', true)
})

test('connections and channels list the AMQP client, and a connection can be closed', async () => {
  const doomed = await amqp.connect(broker.amqpUrl, { clientProperties: { connection_name: 'doomed' } })
  // amqplib reports a 320 close as the 'close' event's error (it is not 'error'-worthy).
  const closed = new Promise<Error | undefined>((resolve) => doomed.on('close', resolve))
  await go('#/connections')
  await page.locator('td', { hasText: 'orders-service' }).waitFor()
  await page.locator('td', { hasText: 'doomed' }).waitFor()
  await shot('connections')
  await go('#/channels')
  await page.locator('table.list tbody tr[data-key]').first().waitFor()
  await shot('channels')

  await go('#/connections')
  await page.locator('tr', { hasText: 'doomed' }).locator('a').first().click()
  await page.locator('dl.facts dd', { hasText: 'doomed' }).waitFor()
  await page.fill('form.close-connection input[name=reason]', 'closed from the console test')
  await page.click('form.close-connection button[type=submit]')
  await confirmInPage()
  const err = await closed
  assert.match(String(err?.message), /CONNECTION_FORCED - closed from the console test/)
  // The page returns to the list once the API has answered (which may be after the client saw the close).
  await page.waitForURL(/#\/connections$/)
})

test('a user added in the console gets permissions on a new vhost', async () => {
  await go('#/admin/vhosts')
  const vform = page.locator('form.add-vhost')
  await vform.locator('input[name=name]').fill('shop')
  await vform.locator('input[name=description]').fill('Orders and invoices')
  await vform.locator('button[type=submit]').click()
  await vform.locator('.status.ok', { hasText: "Virtual host 'shop' added." }).waitFor()

  await go('#/admin/users')
  const uform = page.locator('form.add-user')
  await uform.locator('input[name=username]').fill('alice')
  await uform.locator('input[name=password]').fill('s3cret')
  await uform.locator('input[name=password2]').fill('s3cret')
  await uform.locator('.hints a', { hasText: 'monitoring' }).click()
  await uform.locator('button[type=submit]').click()
  await uform.locator('.status.ok', { hasText: "User 'alice' added." }).waitFor()
  await page.locator('tr[data-key=alice] a').click()
  await page.locator('h1', { hasText: 'User alice' }).waitFor()

  const pform = page.locator('form.set-permission')
  await pform.locator('select[name=vhost]').selectOption('shop')
  await pform.locator('input[name=write]').fill('^orders')
  await pform.locator('button[type=submit]').click()
  await pform.locator('.status.ok', { hasText: "Permissions of 'alice' in 'shop' set." }).waitFor()
  await page.locator('table.list td code', { hasText: '^orders' }).waitFor()
  const perm = (await api('GET', 'api/permissions/shop/alice')) as Record<string, string>
  assert.deepEqual([perm['configure'], perm['write'], perm['read']], ['.*', '^orders', '.*'])
  assert.deepEqual(((await api('GET', 'api/users/alice')) as { tags: string[] }).tags, ['monitoring'])
  await shot('user')
})

test("a user's topic permission and limits, and a vhost's limits, are set and cleared on their pages", async () => {
  // On alice's page (the previous test left the console there).
  const tform = page.locator('form.set-topic-permission')
  await tform.locator('select[name=vhost]').selectOption('shop')
  await tform.locator('input[name=write]').fill('^{username}\\.')
  await tform.locator('button[type=submit]').click()
  await tform
    .locator('.status.ok', { hasText: "Topic permission of 'alice' on 'amq.topic' in 'shop' set." })
    .waitFor()
  await page.locator('table.list td code', { hasText: '^{username}\\.' }).waitFor()
  assert.deepEqual(await api('GET', 'api/topic-permissions/shop/alice'), [
    { user: 'alice', vhost: 'shop', exchange: 'amq.topic', write: '^{username}\\.', read: '.*' },
  ])
  const uform = page.locator('form.set-user-limit')
  await uform.locator('select[name=limit]').selectOption('max-channels')
  await uform.locator('input[name=value]').fill('20')
  await uform.locator('button[type=submit]').click()
  await uform.locator('.status.ok', { hasText: 'max-channels set.' }).waitFor()
  assert.deepEqual(await api('GET', 'api/user-limits/alice'), [
    { user: 'alice', value: { 'max-channels': 20 } },
  ])
  await page.locator('button.clear-topic-permission').click()
  await confirmInPage()
  await page.locator('td.empty', { hasText: 'No topic permissions' }).waitFor()
  assert.deepEqual(await api('GET', 'api/users/alice/topic-permissions'), [])

  await go('#/admin/vhosts/shop')
  await page.locator('h1', { hasText: 'Virtual host shop' }).waitFor()
  const vform = page.locator('form.set-vhost-limit')
  await vform.locator('select[name=limit]').selectOption('max-queues')
  await vform.locator('input[name=value]').fill('50')
  await vform.locator('button[type=submit]').click()
  await vform.locator('.status.ok', { hasText: 'max-queues set.' }).waitFor()
  assert.deepEqual(await api('GET', 'api/vhost-limits/shop'), [
    { vhost: 'shop', value: { 'max-queues': 50 } },
  ])
  await page.locator('button.clear-limit').click()
  await page.locator('td.empty', { hasText: 'No limits' }).waitFor()
  assert.deepEqual(await api('GET', 'api/vhost-limits/shop'), [])
})

test('definitions export downloads the broker definitions, and import uploads a file', async () => {
  await go('#/admin/definitions')
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('form.export button[type=submit]'),
  ])
  const defs = JSON.parse(readFileSync(await download.path(), 'utf8')) as {
    users: Array<{ name: string }>
    queues: Array<{ name: string }>
  }
  assert.ok(defs.users.some((u) => u.name === 'alice'))
  assert.ok(defs.queues.some((q) => q.name === 'orders'))
  assert.match(download.suggestedFilename(), /^warren_127\.0\.0\.1_\d{4}-\d\d-\d\d\.json$/)

  const upload = {
    queues: [{ name: 'imported', vhost: '/', durable: true, auto_delete: false, arguments: {} }],
  }
  const iform = page.locator('form.import')
  await iform.locator('input[type=file]').setInputFiles({
    name: 'defs.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(upload)),
  })
  await iform.locator('button[type=submit]').click()
  await iform.locator('.status.ok', { hasText: 'Your definitions were imported successfully' }).waitFor()
  assert.equal(((await api('GET', 'api/queues/%2F/imported')) as { name: string }).name, 'imported')

  await iform
    .locator('input[type=file]')
    .setInputFiles({ name: 'bad.json', mimeType: 'text/plain', buffer: Buffer.from('{oops') })
  await iform.locator('button[type=submit]').click()
  await iform.locator('.status.error', { hasText: 'bad.json is not JSON' }).waitFor()
  await shot('definitions')
})

test('a policy is added and deleted on the policies page', async () => {
  await go('#/admin/policies')
  const form = page.locator('form.add-policy')
  await form.locator('input[name=name]').fill('orders-ttl')
  await form.locator('input[name=pattern]').fill('^orders$')
  await form.locator('.hints a', { hasText: 'Message TTL' }).click()
  await form.locator('.kv-value').first().fill('60000')
  await form.locator('button[type=submit]').click()
  await form.locator('.status.ok', { hasText: "Policy 'orders-ttl' set." }).waitFor()
  const row = page.locator('tr[data-key="//orders-ttl"]')
  await row.waitFor()
  assert.match(await row.innerText(), /message-ttl: 60000/)
  const policy = (await api('GET', 'api/policies/%2F/orders-ttl')) as Record<string, unknown>
  assert.deepEqual(policy['definition'], { 'message-ttl': 60000 })
  await shot('policies')
  await row.locator('button.delete-policy').click()
  await confirmInPage()
  await row.waitFor({ state: 'detached' })
  assert.equal(((await api('GET', 'api/policies')) as unknown[]).length, 0)
})

test('the overview charts draw lines once the broker reports rates', async () => {
  await go('#/')
  // The broker samples its counters every 5 s; the steady traffic shows once a sample has passed.
  await page.locator('[data-total=publish] .count', { hasNotText: /^0\/s$/ }).waitFor({ timeout: 12_000 })
  // Once the server's history has a complete 5 s interval with traffic in it ...
  for (let i = 0; i < 60; i++) {
    const o = (await api('GET', 'api/overview?msg_rates_age=60&msg_rates_incr=5')) as {
      message_stats: { publish_details: { samples: Array<{ sample: number }> } }
    }
    const s = o.message_stats.publish_details.samples
    if ((s[1]?.sample ?? 0) > (s[2]?.sample ?? 0)) break
    await new Promise((r) => setTimeout(r, 250))
  }
  // ... a page that opens draws it at once: the history comes from the server. The rightmost point is
  // the newest complete interval (the one in progress is left out).
  await page.reload()
  const rates = page.locator('figure.chart').nth(1)
  await rates.locator('canvas').waitFor()
  const box = await rates.locator('.u-over').boundingBox()
  assert.ok(box)
  await rates.locator('.u-over').hover({ position: { x: box.width - 1, y: box.height / 2 } })
  assert.match(await rates.locator('.u-legend').innerText(), /Publish\s*[1-9][\d.,]*\/s/)
  await shot('overview')
})

/** The badge texts of a list row, in the order shown. */
const badgesOf = (key: string) => page.locator(`tr[data-key="${key}"] .features abbr`).allInnerTexts()

test('the queue list shows RabbitMQ feature badges in its order, the policies by name', async () => {
  await api('PUT', 'api/queues/%2F/badged', {
    durable: true,
    auto_delete: false,
    // Declared out of RabbitMQ's order, with x-queue-mode, which RabbitMQ 3.10 counts under Args.
    arguments: {
      'x-single-active-consumer': true,
      'x-message-ttl': 60000,
      'x-dead-letter-exchange': 'dlx',
      'x-max-length': 10,
      'x-queue-mode': 'lazy',
    },
  })
  await api('PUT', 'api/policies/%2F/badge-policy', { pattern: '^badged$', definition: { expires: 3600000 } })
  await api('PUT', 'api/operator-policies/%2F/badge-cap', {
    pattern: '^badged$',
    definition: { 'max-length': 5 },
  })
  const ch = await conn.createChannel()
  await ch.assertQueue('badged-excl', { exclusive: true, durable: false })
  await go('#/queues')
  const row = page.locator('tr[data-key=badged]')
  await row.locator('.features abbr.policy.operator', { hasText: 'badge-cap' }).waitFor()
  assert.deepEqual(await badgesOf('badged'), [
    'D',
    'TTL',
    'Lim',
    'DLX',
    'SAC',
    'Args',
    'badge-policy',
    'badge-cap',
  ])
  assert.match(
    (await row.locator('abbr', { hasText: 'TTL' }).getAttribute('title')) ?? '',
    /x-message-ttl.*60000/,
  )
  assert.equal(await row.locator('abbr', { hasText: 'Args' }).getAttribute('title'), 'x-queue-mode: lazy')
  assert.equal(await row.locator('abbr.policy a').getAttribute('href'), '#/admin/policies')
  // Excl links to the connection that owns the queue.
  assert.deepEqual(await badgesOf('badged-excl'), ['Excl'])
  await page.locator('tr[data-key=badged-excl] .features abbr a', { hasText: 'Excl' }).click()
  await page.waitForURL(/#\/connections\/.+/)
  await page.locator('h1', { hasText: /^Connection / }).waitFor()
  await ch.close()
  await go('#/queues')
  await row.waitFor()
  await shot('queues')
  await api('DELETE', 'api/policies/%2F/badge-policy')
  await api('DELETE', 'api/operator-policies/%2F/badge-cap')
})

test('the exchange list shows D, AD, I, AE and Args as RabbitMQ does', async () => {
  await api('PUT', 'api/exchanges/%2F/badged-ae', {
    type: 'direct',
    durable: true,
    arguments: { 'alternate-exchange': 'amq.fanout', 'x-custom': 'v' },
  })
  await api('PUT', 'api/exchanges/%2F/badged-internal', { type: 'topic', auto_delete: true, internal: true })
  await go('#/exchanges')
  await page.locator('tr[data-key=badged-ae] .features abbr').first().waitFor()
  assert.deepEqual(await badgesOf('badged-ae'), ['D', 'AE', 'Args'])
  assert.deepEqual(await badgesOf('badged-internal'), ['AD', 'I'])
  await api('DELETE', 'api/exchanges/%2F/badged-ae')
  await api('DELETE', 'api/exchanges/%2F/badged-internal')
})

test('deleting a queue asks in the page: Escape keeps it, Delete queue deletes it', async () => {
  await go('#/queues/%2F/badged')
  await page.locator('h1', { hasText: 'Queue badged' }).waitFor()
  await page.locator('button.delete-queue, button', { hasText: 'Delete queue' }).last().click()
  // Found by its role and accessible name: the question names the queue.
  const dialog = page.getByRole('alertdialog', { name: "Delete queue 'badged' and its messages?" })
  await dialog.waitFor()
  assert.equal(await page.evaluate('document.activeElement.textContent'), 'Cancel')
  await page.keyboard.press('Escape')
  await dialog.waitFor({ state: 'detached' })
  assert.ok(await api('GET', 'api/queues/%2F/badged'))
  await page.locator('button', { hasText: 'Delete queue' }).last().click()
  await confirmInPage()
  await page.waitForURL(/#\/queues$/)
  const gone = await fetch(new URL('api/queues/%2F/badged', broker.httpUrl), {
    headers: { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') },
  })
  assert.equal(gone.status, 404)
})

test('the node page breaks memory down by what uses it', async () => {
  await go('#/')
  await page.locator('a[href^="#/nodes/"]').waitFor()
  // A single node: no cluster table (cluster.test.ts shows one).
  assert.equal(await page.locator('.cluster-nodes').count(), 0)
  await page.locator('a[href^="#/nodes/"]').click()
  await page.locator('h1', { hasText: 'Node warren@' }).waitFor()
  await page.locator('.memory-bar').waitFor()
  assert.equal(await page.locator('.memory-bar span').count(), 8)
  const rows = await page
    .locator('section, details')
    .filter({ hasText: 'Used by' })
    .locator('tbody tr')
    .allInnerTexts()
  assert.equal(rows.length, 8)
  assert.match(rows[0] ?? '', /Queued message bodies/)
  assert.match(await page.locator('main').innerText(), /Resident memory \(RSS\): \d/)
  assert.match(await page.locator('main').innerText(), /http\/prometheus/)
  await shot('node', true)
})

test('logging out returns to the login form and forgets the credentials', async () => {
  await page.click('button.logout')
  await page.locator('#login .status.ok', { hasText: 'Logged out.' }).waitFor()
  assert.equal(await stored(), null)
  await page.reload()
  await page.locator('#login').waitFor()
})

test('the console ran without script errors or browser dialogs', (t) => {
  t.diagnostic(`screenshots in ${shotDir}: ${shots.map((f) => f.slice(shotDir.length + 1)).join(', ')}`)
  assert.deepEqual(pageErrors, [])
  assert.deepEqual(nativeDialogs, [])
})
