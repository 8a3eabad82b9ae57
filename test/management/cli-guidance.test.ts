// /cli/rabbitmqadmin and /cli/: RabbitMQ serves its script there and people download it with curl. Warren
// cannot ship RabbitMQ's script, so what it serves runs like it (python3 rabbitmqadmin ...) and says, with
// exit status 1, which clients work against this server, with its host and port.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { useBroker } from '../helpers/broker.js'

const b = useBroker()
const dir = mkdtempSync(join(tmpdir(), 'warren-cli-guidance-'))
after(() => rmSync(dir, { recursive: true, force: true }))

test('the downloaded rabbitmqadmin explains where to get a client, with this host and port', async () => {
  const res = await fetch(`${b.broker.httpUrl}cli/rabbitmqadmin`)
  assert.equal(res.status, 200)
  const script = await res.text()
  assert.match(script, /^#!\/usr\/bin\/env python3\n/)
  const file = join(dir, 'rabbitmqadmin')
  writeFileSync(file, script)
  const r = spawnSync('python3', [file, 'list', 'queues'], { encoding: 'utf8' })
  assert.equal(r.status, 1)
  assert.equal(r.stdout, '')
  const port = String(b.broker.httpPort)
  assert.match(r.stderr, /This server is Warren/)
  assert.match(r.stderr, new RegExp(`rabbitmqadmin -H 127\\.0\\.0\\.1 -P ${port} -u <user>`))
  assert.match(
    r.stderr,
    new RegExp(`warren ctl --url http://<user>:<password>@127\\.0\\.0\\.1:${port}/ list_queues`),
  )
})

test('/cli/ says the same as text, and a forged Host header is not echoed', async () => {
  const res = await fetch(`${b.broker.httpUrl}cli/`)
  assert.equal(res.status, 200)
  assert.match(await res.text(), /rabbitmqadmin --host 127\.0\.0\.1 --port \d+/)
  const { request } = await import('node:http')
  const body = await new Promise<string>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: b.broker.httpPort, path: '/cli/', headers: { host: '<script>x</script>' } },
      (r) => {
        let t = ''
        r.on('data', (d: Buffer) => (t += d.toString()))
        r.on('end', () => resolve(t))
      },
    )
    req.on('error', reject)
    req.end()
  })
  assert.doesNotMatch(body, /<script>/)
  assert.match(body, /-H localhost -P 15672/)
})
