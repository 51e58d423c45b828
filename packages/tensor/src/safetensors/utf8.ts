/**
 * Strict UTF-8 for safetensors headers, written out so the codec runs anywhere and can say where
 * a bad header goes wrong; decoding uses the platform's strict `TextDecoder` first where there is
 * one, because a long header decodes many times faster that way.
 * @module
 */

/** Whether `s` has no lone surrogates, so it has a UTF-8 encoding (a valid JSON string for Rust). */
export const isWellFormed = (s: string): boolean => !/\p{Cs}/u.test(s)

/** The UTF-8 bytes of a well-formed string. A lone surrogate becomes U+FFFD. */
export const utf8Encode = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length * 3)
  let j = 0
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1)
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00)
        i++
      } else c = 0xfffd
    }
    if (c < 0x80) out[j++] = c
    else if (c < 0x800) {
      out[j++] = 0xc0 | (c >> 6)
      out[j++] = 0x80 | (c & 0x3f)
    } else if (c < 0x10000) {
      out[j++] = 0xe0 | (c >> 12)
      out[j++] = 0x80 | ((c >> 6) & 0x3f)
      out[j++] = 0x80 | (c & 0x3f)
    } else {
      out[j++] = 0xf0 | (c >> 18)
      out[j++] = 0x80 | ((c >> 12) & 0x3f)
      out[j++] = 0x80 | ((c >> 6) & 0x3f)
      out[j++] = 0x80 | (c & 0x3f)
    }
  }
  return out.slice(0, j)
}

/** The result of strict decoding: the text, or the offset of the first ill-formed sequence. */
export type Utf8Result =
  { readonly ok: true; readonly text: string } | { readonly ok: false; readonly offset: number }

// Continuation-byte bounds for the second byte of each lead byte (Unicode Table 3-7): they exclude
// overlong forms, UTF-16 surrogates (ED A0..BF) and code points above U+10FFFF.
const secondLow = (lead: number): number => (lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80)
const secondHigh = (lead: number): number => (lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf)

interface StrictDecoder {
  decode(bytes: Uint8Array): string
}

// The platform's strict decoder, where there is one, decodes long headers many times faster; it
// refuses exactly the sequences `utf8DecodeHere` does, which then finds the offset to report.
const platformDecoder: StrictDecoder | undefined = (() => {
  const make = (
    globalThis as {
      TextDecoder?: new (
        label: string,
        options: { fatal: boolean; ignoreBOM: boolean },
      ) => StrictDecoder
    }
  ).TextDecoder
  try {
    return make === undefined ? undefined : new make("utf-8", { fatal: true, ignoreBOM: true })
  } catch {
    return undefined
  }
})()

/** Decodes `bytes` as UTF-8, refusing overlong forms, surrogates, and truncated sequences. */
export const utf8Decode = (bytes: Uint8Array): Utf8Result => {
  if (platformDecoder !== undefined) {
    try {
      return { ok: true, text: platformDecoder.decode(bytes) }
    } catch {
      // fall through to find where it goes wrong
    }
  }
  return utf8DecodeHere(bytes)
}

/** `utf8Decode` in plain JavaScript, for runtimes without a strict platform decoder. */
export const utf8DecodeHere = (bytes: Uint8Array): Utf8Result => {
  const units = new Uint16Array(bytes.length)
  let n = 0
  let i = 0
  while (i < bytes.length) {
    const lead = bytes[i]!
    if (lead < 0x80) {
      units[n++] = lead
      i++
      continue
    }
    // Continuation bytes after the lead: C0, C1 and F5..FF never start a sequence.
    const extra =
      lead >= 0xc2 && lead <= 0xdf
        ? 1
        : lead >= 0xe0 && lead <= 0xef
          ? 2
          : lead >= 0xf0 && lead <= 0xf4
            ? 3
            : 0
    if (extra === 0 || i + extra >= bytes.length) return { ok: false, offset: i }
    const b1 = bytes[i + 1]!
    if (b1 < secondLow(lead) || b1 > secondHigh(lead)) return { ok: false, offset: i }
    let c = lead & (0x3f >> extra)
    c = (c << 6) | (b1 & 0x3f)
    for (let k = 2; k <= extra; k++) {
      const b = bytes[i + k]!
      if ((b & 0xc0) !== 0x80) return { ok: false, offset: i }
      c = (c << 6) | (b & 0x3f)
    }
    if (c >= 0x10000) {
      c -= 0x10000
      units[n++] = 0xd800 | (c >> 10)
      units[n++] = 0xdc00 | (c & 0x3ff)
    } else units[n++] = c
    i += extra + 1
  }
  let text = ""
  const chunk = 8192
  for (let k = 0; k < n; k += chunk) {
    // `apply` takes the typed array as it is; spreading it is several times slower.
    const part = units.subarray(k, Math.min(n, k + chunk)) as unknown as number[]
    text += String.fromCharCode.apply(null, part)
  }
  return { ok: true, text }
}
