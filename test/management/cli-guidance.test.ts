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
  assert.match(res.headers.get('content-disposition') ?? '', /filename="rabbitmqadmin"/)
  const script = await res.text()
  assert.match(script, /^#!\/usr\/bin\/env python3\n/)
  const file = join(dir, 'rabbitmqadmin')
  writeFileSync(file, script, { mode: 0o755 })
  // As people run it after `curl -O`: through python3, and as a program (its shebang).
  for (const [cmd, args] of [
    ['python3', [file, 'list', 'queues']],
    [file, ['-H', 'localhost', 'list', 'queues']],
  ] as const) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' })
    assert.equal(r.status, 1, cmd)
    assert.equal(r.stdout, '')
    const port = String(b.broker.httpPort)
    assert.match(
      r.stderr,
      new RegExp(`^rabbitmqadmin: this file was downloaded from Warren at 127\\.0\\.0\\.1:${port}`),
    )
    assert.match(r.stderr, /apt-get download rabbitmq-server && dpkg-deb -x rabbitmq-server_\*\.deb rabbitmq/)
    assert.match(
      r.stderr,
      new RegExp(`rabbitmqadmin -H 127\\.0\\.0\\.1 -P ${port} -u <user> -p <password> list queues`),
    )
    assert.match(
      r.stderr,
      new RegExp(`rabbitmqadmin --host 127\\.0\\.0\\.1 --port ${port} --username <user>`),
    )
    assert.match(r.stderr, new RegExp(`warren ctl --url http://127\\.0\\.0\\.1:${port}/ --username <user>`))
  }
})

test('/cli/ and /cli/index.html say the same as text, and a forged Host header is not echoed', async () => {
  for (const path of ['cli/', 'cli/index.html']) {
    const res = await fetch(`${b.broker.httpUrl}${path}`)
    assert.equal(res.status, 200, path)
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/)
    const text = await res.text()
    assert.match(text, /^Command-line tools for Warren at 127\.0\.0\.1:\d+\n/)
    assert.match(text, /rabbitmqadmin --host 127\.0\.0\.1 --port \d+/)
  }
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
