// The container image and the systemd unit, checked without a Docker daemon or systemd running: the
// Dockerfile's structure (pinned Node 20 base, non-root user, data volume, health check, exec-form entry
// point, every COPY source present), the entry point as a shell script (with a stand-in `warren` on
// PATH), and the unit through `systemd-analyze verify`.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'

const ENTRYPOINT = join('deploy', 'docker-entrypoint.sh')
let dir = ''

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warren-deploy-'))
  // Stands in for the real binary: prints its arguments and the variables the entry point sets.
  await writeFile(
    join(dir, 'warren'),
    '#!/bin/sh\nprintf \'%s\\n\' "args:$*" "user:${RABBITMQ_DEFAULT_USER-}" "pass:${RABBITMQ_DEFAULT_PASS-}" "passfile:${RABBITMQ_DEFAULT_PASS_FILE-unset}"\n',
  )
  await chmod(join(dir, 'warren'), 0o755)
})

after(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** The Dockerfile's instructions as [keyword, rest], continuation lines joined, comments dropped. */
async function instructions(): Promise<Array<[string, string]>> {
  const text = (await readFile(join('deploy', 'Dockerfile'), 'utf8')).replace(/\\\n/g, ' ')
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [keyword = '', ...rest] = l.split(/\s+/)
      return [keyword.toUpperCase(), rest.join(' ')]
    })
}

describe('Dockerfile', () => {
  test('pinned Node 20 bases, no ADD, every COPY source in the repository', async () => {
    const ins = await instructions()
    const froms = ins.filter(([k]) => k === 'FROM').map(([, v]) => v)
    assert.ok(froms.length >= 2, 'a build stage and a runtime stage')
    for (const f of froms) assert.match(f, /^node:20-[a-z]+-slim\b/)
    assert.ok(!ins.some(([k]) => k === 'ADD'), 'COPY, not ADD')
    for (const [, v] of ins.filter(([k]) => k === 'COPY')) {
      if (v.startsWith('--from=')) continue // from the build stage
      const sources = v.split(/\s+/).slice(0, -1)
      for (const s of sources) assert.ok(existsSync(s), `COPY source ${s} exists`)
    }
  })

  test('the runtime stage runs as a non-root user, with a volume, a health check and exec-form commands', async () => {
    const ins = await instructions()
    const runtime = ins.slice(ins.map(([k]) => k).lastIndexOf('FROM'))
    const get = (k: string): string[] => runtime.filter(([kk]) => kk === k).map(([, v]) => v)
    assert.deepEqual(get('USER'), ['node'])
    assert.deepEqual(get('VOLUME'), ['["/var/lib/warren"]'])
    assert.match(get('ENV').join(' '), /WARREN_DATA_DIR=\/var\/lib\/warren/)
    assert.deepEqual(get('EXPOSE'), ['5672 5671 1883 8883 61613 61614 15674 15675 15672 15692'])
    const health = get('HEALTHCHECK')[0] ?? ''
    assert.match(health, /CMD \["warren", "ctl", "-q", "-t", "5", "ping"\]$/)
    assert.match(get('ENTRYPOINT')[0] ?? '', /^\[".*"\]$/)
    assert.match(get('CMD')[0] ?? '', /^\[".*"\]$/)
    // tsc writes the bin without its executable bit (npm sets it on install; the image does not use npm).
    assert.match(get('RUN').join(' '), /chmod \+x \/opt\/warren\/dist\/src\/bin\/warren\.js/)
    const userAt = runtime.findIndex(([k]) => k === 'USER')
    assert.ok(!runtime.slice(userAt).some(([k]) => k === 'RUN'), 'nothing runs as root after USER')
  })
})

describe('docker-entrypoint.sh', () => {
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync('sh', [ENTRYPOINT, ...args], {
      env: { PATH: `${dir}:/usr/bin:/bin`, ...env },
      encoding: 'utf8',
    })

  test('no arguments or options only: warren server; a warren command: that command', () => {
    assert.match(run([]).stdout, /^args:server\n/)
    assert.match(run(['--log-level', 'debug']).stdout, /^args:server --log-level debug\n/)
    assert.match(run(['ctl', 'list_queues']).stdout, /^args:ctl list_queues\n/)
    assert.equal(run(['echo', 'hello']).stdout, 'hello\n')
  })

  test("*_FILE secrets set the variable to the file's first line, and are unset", async () => {
    const secret = join(dir, 'pass')
    await writeFile(secret, 's3cret\nignored\n')
    const r = run([], { RABBITMQ_DEFAULT_USER: 'app', RABBITMQ_DEFAULT_PASS_FILE: secret })
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stdout, 'args:server\nuser:app\npass:s3cret\npassfile:unset\n')
  })

  test('a secret file that cannot be read, or a variable set twice, stops the container with a reason', () => {
    const missing = run([], { RABBITMQ_DEFAULT_PASS_FILE: join(dir, 'nope') })
    assert.equal(missing.status, 66)
    assert.match(missing.stderr, /RABBITMQ_DEFAULT_PASS_FILE names .*nope, which cannot be read/)
    const twice = run([], { RABBITMQ_DEFAULT_PASS: 'a', RABBITMQ_DEFAULT_PASS_FILE: join(dir, 'pass') })
    assert.equal(twice.status, 64)
    assert.match(twice.stderr, /both RABBITMQ_DEFAULT_PASS and RABBITMQ_DEFAULT_PASS_FILE are set/)
  })
})

describe('systemd unit', () => {
  test('systemd-analyze verify accepts it; it runs as its own user with a state directory', async (t) => {
    const unit = await readFile(join('deploy', 'warren.service'), 'utf8')
    for (const line of ['User=warren', 'StateDirectory=warren', 'Restart=on-failure', 'KillSignal=SIGTERM'])
      assert.ok(unit.includes(`\n${line}\n`), line)
    if (spawnSync('systemd-analyze', ['--version']).status !== 0) return t.skip('no systemd-analyze here')
    // verify checks that ExecStart's binary exists: point it at one that does.
    const copy = join(dir, 'warren.service')
    await writeFile(copy, unit.replace(/^ExecStart=\S+/m, 'ExecStart=/bin/true'))
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' })
    assert.deepEqual([r.status, r.stdout, r.stderr], [0, '', ''])
  })
})
