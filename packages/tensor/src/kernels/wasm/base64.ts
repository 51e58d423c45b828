/**
 * Base64 decoding without `atob` or `Buffer`, so the generated modules load in any runtime.
 * @module
 */

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
const values = new Int16Array(128).fill(-1)
for (let i = 0; i < alphabet.length; i++) values[alphabet.charCodeAt(i)] = i

/** The bytes of a padded base64 string; throws on characters outside the alphabet. */
export const decodeBase64 = (text: string): Uint8Array => {
  const body = text.replace(/=+$/, "")
  const out = new Uint8Array(Math.floor((body.length * 3) / 4))
  let bits = 0
  let count = 0
  let o = 0
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i)
    const v = c < 128 ? values[c]! : -1
    if (v < 0) throw new Error(`not base64: character ${JSON.stringify(body[i])} at ${i}`)
    bits = (bits << 6) | v
    count += 6
    if (count >= 8) {
      count -= 8
      out[o++] = (bits >> count) & 0xff
    }
  }
  return out
}
