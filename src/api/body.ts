import { BodyTooLargeError } from './errors.js'

/**
 * Reads a request body as text, never holding more than `maxBytes` of it: refused at a
 * `Content-Length` over the limit before any byte is read, or, for a chunked body, at the first
 * chunk that crosses the limit (the rest is left to the server, which drains a bounded amount
 * and then closes the connection).
 */
export async function readBodyText (req: Request, maxBytes: number): Promise<string> {
  const length = req.headers.get('content-length')
  if (length != null && /^\d+$/.test(length) && Number(length) > maxBytes) throw new BodyTooLargeError(maxBytes)
  if (req.body == null) return ''
  const reader = req.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel()
      throw new BodyTooLargeError(maxBytes)
    }
    chunks.push(value)
  }
  return new TextDecoder().decode(Buffer.concat(chunks, total))
}
