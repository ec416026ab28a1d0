/**
 * Length of the longest prefix of `buf` that does not end inside an incomplete UTF-8 sequence, so
 * a character split between two reads is decoded whole by the second. Only a tail that more bytes
 * could still complete is held back (at most 3 bytes); bytes that can never become valid are kept,
 * for the decoder to turn into U+FFFD now. Decoding the prefix and then the rest therefore gives
 * exactly what decoding everything at once gives.
 */
export function completeUtf8Length(buf: Uint8Array): number {
  const end = buf.length
  // A sequence is at most 4 bytes, so an incomplete one starts within the last 3.
  for (let back = 1; back <= 3 && back <= end; back++) {
    const lead = buf[end - back] as number
    if (isContinuation(lead)) continue
    const need = utf8SequenceLength(lead)
    if (back >= need) return end
    return isValidStart(lead, buf[end - back + 1]) ? end - back : end
  }
  return end
}

const isContinuation = (byte: number): boolean => byte >= 0x80 && byte <= 0xbf

/** Bytes in a sequence that starts with `lead`; 1 for ASCII and for bytes that start nothing. */
export function utf8SequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2
  if (lead >= 0xe0 && lead <= 0xef) return 3
  if (lead >= 0xf0 && lead <= 0xf4) return 4
  return 1
}

/**
 * Whether `lead` followed by `second` (undefined when not read yet) can still begin a valid
 * character. The narrowed ranges exclude overlong forms (E0, F0), UTF-16 surrogates (ED) and code
 * points above U+10FFFF (F4), which decoders reject at the second byte (Unicode table 3-7).
 */
function isValidStart(lead: number, second: number | undefined): boolean {
  if (second === undefined) return true
  if (lead === 0xe0) return second >= 0xa0 && second <= 0xbf
  if (lead === 0xed) return second >= 0x80 && second <= 0x9f
  if (lead === 0xf0) return second >= 0x90 && second <= 0xbf
  if (lead === 0xf4) return second >= 0x80 && second <= 0x8f
  return isContinuation(second)
}

/**
 * How many bytes from `at` in `buf` are the rest of a character whose lead byte lies before `at`
 * (0 when `at` starts a character or holds bytes no earlier lead can claim). `buf` holds up to 3
 * bytes before `at` and some after it.
 */
export function continuationBytesToSkip(buf: Uint8Array, at: number): number {
  for (let back = 1; back <= 3 && back <= at; back++) {
    const lead = buf[at - back] as number
    if (isContinuation(lead)) continue
    const need = utf8SequenceLength(lead)
    if (need <= back || !isValidStart(lead, buf[at - back + 1])) return 0
    let skip = 0
    while (skip < need - back && at + skip < buf.length && isContinuation(buf[at + skip] as number)) skip++
    return skip
  }
  return 0
}
