import { describe, expect, it } from '@jest/globals'
import { declaredVariables } from '../src/nomad/hcl.js'

describe('declaredVariables', () => {
  it('finds variable blocks and variables-block attributes at the top level only, with their lines', () => {
    const src = [
      '# variable "commented" {}',
      'variable "image" {',
      '  type    = string',
      '  default = "nginx:1.27" # } braces in comments',
      '}',
      '',
      'variables {',
      '  count = 2',
      '  tags  = ["a", "}"]',
      '}',
      'locals { x = "variable \\"inner\\" {}" }',
      'job "web" {',
      '  meta { note = <<EOT',
      'variable "heredoc" {',
      'EOT',
      '  }',
      '  group "g" {',
      '    task "t" { config { args = ["${var.image}"] } }',
      '  }',
      '}',
      'variable plain_label {}',
      ''
    ].join('\n')
    expect(declaredVariables(src)).toEqual([
      { name: 'image', line: 2 },
      { name: 'count', line: 8 },
      { name: 'tags', line: 9 },
      { name: 'plain_label', line: 21 }
    ])
  })

  it('reads HCL JSON syntax, and gives up on shapes it cannot follow', () => {
    const json = '{\n  "variable": {\n    "image": { "default": "x" }\n  },\n  "job": { "web": {} }\n}'
    expect(declaredVariables(json)).toEqual([{ name: 'image', line: 3 }])
    expect(declaredVariables('job "web" {\n  x = "unterminated\n}\n')).toBeUndefined()
    expect(declaredVariables('job "web" {\n')).toBeUndefined()
    expect(declaredVariables('')).toEqual([])
  })
})
