/**
 * Reads a command line the way a POSIX shell would, far enough to see which programs it runs
 * (spec 001's deny-list): quotes and backslashes removed, `;` `&&` `||` `|` `&` and newlines
 * between commands, `( … )` and `{ …; }` groups, `$( … )` and backticks read as commands of their
 * own, redirections kept apart from arguments. Expansions other than command substitution stay as
 * text (a `$VAR` is not known before the shell runs). Pure.
 */

export interface SimpleCommand {
  /** The words after quote removal, assignments (`A=b`) first when they prefix the command. */
  words: string[]
  /** Whether each word came from an unquoted `$…` expansion (its value is not known here). */
  expanded: boolean[]
  /** Targets of output redirections (`>`, `>>`, `>|`, `&>`, `N>`). */
  writes: string[]
}

export class ShellSyntaxError extends Error {
  override readonly name = 'ShellSyntaxError'
}

const OPERATORS = ['&&', '||', ';;', ';', '&', '|', '\n'] as const

/** Every simple command of the line, those inside command substitutions included (in reading order). */
export function readCommands(line: string): SimpleCommand[] {
  const out: SimpleCommand[] = []
  new Reader(line, out).list(null)
  return out
}

class Reader {
  #i = 0
  readonly #s: string
  readonly #out: SimpleCommand[]
  constructor(s: string, out: SimpleCommand[]) {
    this.#s = s
    this.#out = out
  }

  /** Reads commands until `end` (a closing `)` or `}`) or the end of the text. */
  list(end: ')' | null): void {
    let current: SimpleCommand = { words: [], expanded: [], writes: [] }
    const flush = (): void => {
      if (current.words.length > 0 || current.writes.length > 0) this.#out.push(current)
      current = { words: [], expanded: [], writes: [] }
    }
    for (;;) {
      this.#skipBlanks()
      const c = this.#s[this.#i]
      if (c === undefined) {
        if (end !== null) throw new ShellSyntaxError(`missing '${end}'`)
        flush()
        return
      }
      if (c === '#') {
        while (this.#i < this.#s.length && this.#s[this.#i] !== '\n') this.#i++
        continue
      }
      if (c === ')' && end === ')') {
        this.#i++
        flush()
        return
      }
      const redirect = /^(\d*|&)(>>|>\||>&|>|<<<|<<|<>|<&|<)/.exec(this.#s.slice(this.#i))
      if (redirect) {
        this.#i += redirect[0].length
        this.#skipBlanks()
        const target = this.#word()
        if (target === null) throw new ShellSyntaxError('a redirection without a target')
        if (redirect[2]?.startsWith('>') || redirect[2] === '<>') current.writes.push(target.text)
        continue
      }
      const op = OPERATORS.find((o) => this.#s.startsWith(o, this.#i))
      if (op) {
        this.#i += op.length
        flush()
        continue
      }
      if (c === '(' && current.words.length === 0) {
        this.#i++
        flush()
        this.list(')')
        continue
      }
      if (c === '(' && this.#s[this.#i + 1] === ')') {
        // `name() { …; }`: a function definition; its body is read as commands.
        this.#i += 2
        flush()
        continue
      }
      if ((c === '{' || c === '}') && current.words.length === 0 && /[\s;]|$/.test(this.#s[this.#i + 1] ?? '')) {
        this.#i++
        continue
      }
      const word = this.#word()
      if (word === null) throw new ShellSyntaxError(`unexpected '${c}'`)
      current.words.push(word.text)
      current.expanded.push(word.expanded)
    }
  }

  #skipBlanks(): void {
    while (this.#s[this.#i] === ' ' || this.#s[this.#i] === '\t' || (this.#s[this.#i] === '\\' && this.#s[this.#i + 1] === '\n')) {
      this.#i += this.#s[this.#i] === '\\' ? 2 : 1
    }
  }

  /** One word, quotes removed; command substitutions inside it are read as commands too. */
  #word(): { text: string; expanded: boolean } | null {
    let text = ''
    let expanded = false
    const start = this.#i
    for (;;) {
      const c = this.#s[this.#i]
      if (c === undefined || /[\s;&|()<>]/.test(c)) break
      if (c === '\\') {
        text += this.#s[this.#i + 1] ?? ''
        this.#i += 2
      } else if (c === "'") {
        const close = this.#s.indexOf("'", this.#i + 1)
        if (close < 0) throw new ShellSyntaxError('an unclosed single quote')
        text += this.#s.slice(this.#i + 1, close)
        this.#i = close + 1
      } else if (c === '"') {
        this.#i++
        text += this.#doubleQuoted()
      } else if (c === '$' && this.#s[this.#i + 1] === '(') {
        text += this.#substitution()
        expanded = true
      } else if (c === '`') {
        text += this.#backticks()
        expanded = true
      } else if (c === '$' && this.#s[this.#i + 1] === "'") {
        // $'…': ANSI-C quoting (bash); its escapes decoded as far as names go.
        const close = this.#s.indexOf("'", this.#i + 2)
        if (close < 0) throw new ShellSyntaxError("an unclosed $' quote")
        text += decodeAnsiC(this.#s.slice(this.#i + 2, close))
        this.#i = close + 1
      } else if (c === '$') {
        const variable = /^\$(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])/.exec(this.#s.slice(this.#i))
        text += variable ? variable[0] : '$'
        this.#i += variable ? variable[0].length : 1
        if (variable) expanded = true
      } else {
        text += c
        this.#i++
      }
    }
    return this.#i === start ? null : { text, expanded }
  }

  #doubleQuoted(): string {
    let text = ''
    for (;;) {
      const c = this.#s[this.#i]
      if (c === undefined) throw new ShellSyntaxError('an unclosed double quote')
      if (c === '"') {
        this.#i++
        return text
      }
      if (c === '\\' && /["\\$`\n]/.test(this.#s[this.#i + 1] ?? '')) {
        text += this.#s[this.#i + 1] === '\n' ? '' : this.#s[this.#i + 1]
        this.#i += 2
      } else if (c === '$' && this.#s[this.#i + 1] === '(') {
        text += this.#substitution()
      } else if (c === '`') {
        text += this.#backticks()
      } else {
        text += c
        this.#i++
      }
    }
  }

  /** `$( … )`: its commands are read as commands of the line; the word keeps a placeholder. */
  #substitution(): string {
    if (this.#s.startsWith('$((', this.#i)) {
      // Arithmetic: no commands, but it may nest parentheses.
      let depth = 0
      for (; this.#i < this.#s.length; this.#i++) {
        if (this.#s[this.#i] === '(') depth++
        else if (this.#s[this.#i] === ')' && --depth === 0) {
          this.#i++
          return '$((…))'
        }
      }
      throw new ShellSyntaxError("missing ')'")
    }
    this.#i += 2
    this.list(')')
    return '$(…)'
  }

  #backticks(): string {
    let inner = ''
    this.#i++
    for (;;) {
      const c = this.#s[this.#i]
      if (c === undefined) throw new ShellSyntaxError('an unclosed backtick')
      if (c === '`') break
      if (c === '\\' && /[`\\$]/.test(this.#s[this.#i + 1] ?? '')) {
        inner += this.#s[this.#i + 1]
        this.#i += 2
      } else {
        inner += c
        this.#i++
      }
    }
    this.#i++
    new Reader(inner, this.#out).list(null)
    return '$(…)'
  }
}

function decodeAnsiC(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, esc: string) => {
    if (esc.startsWith('x')) return String.fromCharCode(parseInt(esc.slice(1), 16))
    if (/^[0-7]+$/.test(esc)) return String.fromCharCode(parseInt(esc, 8))
    return ({ n: '\n', t: '\t', r: '\r', e: '\x1b', a: '\x07' } as Record<string, string>)[esc] ?? esc
  })
}
