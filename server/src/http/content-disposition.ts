/**
 * `attachment` with a file name any browser or curl -J can use safely: an ASCII `filename` with
 * everything but letters, digits, dot, dash and underscore replaced (no quote, backslash, slash or
 * control character can reach the header), and the real name in RFC 8187 `filename*`.
 */
export function attachmentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'download'
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`
}
