import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { REPLY_CODE_NAMES } from '../../src/shared/index.js'

test('docs/errors.md lists every error code Warren uses, with its reply code', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
  for (const [replyCode, code] of Object.entries(REPLY_CODE_NAMES)) {
    if (replyCode === '200') continue
    assert.match(
      doc,
      new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${replyCode}\\s*\\|`),
      `${code} (${replyCode}) is missing from docs/errors.md`,
    )
  }
})
