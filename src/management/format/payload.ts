// A message body as the HTTP API shows it (POST /api/queues/.../get, the delayed-message listing):
// UTF-8 text when asked for `auto` and the bytes are valid UTF-8, else base64, cut at `truncate` bytes.
const utf8 = new TextDecoder('utf-8', { fatal: true })

export interface PayloadView {
  payload_bytes: number
  payload: string
  payload_encoding: 'string' | 'base64'
}

export function formatPayload(body: Buffer, encoding: string, truncate: number | undefined): PayloadView {
  const shown = truncate !== undefined && truncate >= 0 ? body.subarray(0, truncate) : body
  let text: string | undefined
  if (encoding === 'auto') {
    try {
      text = utf8.decode(shown)
    } catch {
      text = undefined
    }
  }
  return {
    payload_bytes: body.length,
    payload: text ?? shown.toString('base64'),
    payload_encoding: text === undefined ? 'base64' : 'string',
  }
}
