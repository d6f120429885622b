/**
 * Recognises a Vault ACL policy without echoing anything: HCL made of `path "<path>" { ... }` blocks (with
 * comments), or the JSON form {"path": {...}}. Used to refuse a policy-file that is not a policy (say /etc/passwd)
 * before its content could reach a log or a diff.
 */

export function isAclPolicy(text: string): boolean {
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) {
    try {
      const doc = JSON.parse(trimmed) as unknown
      return (
        !!doc &&
        typeof doc === 'object' &&
        !Array.isArray(doc) &&
        isObject((doc as { path?: unknown }).path) &&
        Object.keys(doc).every((k) => k === 'path' || k === 'name')
      )
    } catch {
      return false
    }
  }
  return isHclPolicy(text)
}

const isObject = (v: unknown) => !!v && typeof v === 'object' && !Array.isArray(v)

function isHclPolicy(text: string): boolean {
  let i = 0
  let blocks = 0
  const skipSpaceAndComments = () => {
    for (;;) {
      while (i < text.length && /\s/.test(text[i])) i++
      if (text[i] === '#' || (text[i] === '/' && text[i + 1] === '/')) {
        while (i < text.length && text[i] !== '\n') i++
      } else if (text[i] === '/' && text[i + 1] === '*') {
        const end = text.indexOf('*/', i + 2)
        if (end === -1) return false
        i = end + 2
      } else return true
    }
  }
  const readString = (): boolean => {
    if (text[i] !== '"') return false
    for (i++; i < text.length; i++) {
      if (text[i] === '\\') i++
      else if (text[i] === '"') {
        i++
        return true
      } else if (text[i] === '\n') return false
    }
    return false
  }
  const readBlock = (): boolean => {
    if (text[i] !== '{') return false
    let depth = 0
    while (i < text.length) {
      if (!skipSpaceAndComments()) return false
      const ch = text[i]
      if (ch === '"') {
        if (!readString()) return false
        continue
      }
      i++
      if (ch === '{') depth++
      else if (ch === '}' && --depth === 0) return true
    }
    return false
  }
  for (;;) {
    if (!skipSpaceAndComments()) return false
    if (i >= text.length) return blocks > 0
    if (!text.startsWith('path', i)) return false
    i += 4
    if (!skipSpaceAndComments() || !readString() || !skipSpaceAndComments() || !readBlock()) return false
    blocks++
  }
}
