// Some RabbitMQ error texts print a client's value with Erlang's ~p (the consistent-hash exchange's
// "The binding key must be an integer: <<"abc">>"). Clients and operators search for those texts, so
// Warren prints values the same way.

const ESCAPES: Readonly<Record<string, string>> = {
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\v': '\\v',
  '\f': '\\f',
  '\r': '\\r',
  '\u001b': '\\e',
  '"': '\\"',
  '\\': '\\\\',
}

/**
 * Erlang's ~p of a string's UTF-8 bytes: <<"text">> when every octet is printable Latin-1 (which UTF-8
 * text above U+00BF always is, octet by octet), else the octets as numbers: <<1,122>>. The quoted form
 * keeps the original characters: RabbitMQ sends the very octets it was given, which decode back to them.
 */
export function erlangBinaryTerm(text: string): string {
  const bytes = Buffer.from(text, 'utf8')
  if (bytes.length === 0) return '<<>>'
  if (!bytes.every(printableLatin1)) return `<<${bytes.join(',')}>>`
  return `<<"${Array.from(text, (c) => ESCAPES[c] ?? c).join('')}">>`
}

function printableLatin1(c: number): boolean {
  return (c >= 32 && c <= 126) || (c >= 160 && c <= 255) || (c >= 8 && c <= 13) || c === 27
}
