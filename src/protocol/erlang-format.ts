// RabbitMQ reports bad frames with Erlang terms ("type 1, all octets = <<0,20,0,10,0>>"), and clients
// and operators search for those texts, so Warren prints frames the same way.

/** Erlang's ~p of a binary: <<"text">> when every octet is printable, else <<1,2,3>>. */
export function erlangBinary(b: Buffer): string {
  if (b.length === 0) return '<<>>'
  let printable = true
  for (const c of b) {
    if (!((c >= 32 && c <= 126) || (c >= 8 && c <= 13) || c === 27)) {
      printable = false
      break
    }
  }
  if (!printable) return `<<${[...b].join(',')}>>`
  const escapes: Record<number, string> = {
    8: '\\b',
    9: '\\t',
    10: '\\n',
    11: '\\v',
    12: '\\f',
    13: '\\r',
    27: '\\e',
    34: '\\"',
    92: '\\\\',
  }
  return `<<"${[...b].map((c) => escapes[c] ?? String.fromCharCode(c)).join('')}">>`
}

/** How RabbitMQ describes a frame it refuses: its type and (up to 16 of) its octets. */
export function describeFrame(type: number, payload: Buffer): string {
  if (payload.length <= 16) return `type ${type}, all octets = ${erlangBinary(payload)}`
  return `type ${type}, first 16 octets = ${erlangBinary(payload.subarray(0, 16))}`
}
