/** The leak scan that every run of the bundle goes through (test-support/run-action.ts assertNoLeaks). */
import { describe, expect, it } from '@jest/globals'
import { assertNoLeaks } from '../test-support/run-action.js'

const quiet = { stdout: '', stderr: '', output: '', summary: '' }

describe('assertNoLeaks', () => {
  it('passes when a token appears only in its ::add-mask:: command', () => {
    expect(() => assertNoLeaks({ 'vault-token': 'hvs.abcdefgh12345' }, { ...quiet, stdout: '::add-mask::hvs.abcdefgh12345\nok\n' })).not.toThrow()
  })

  it('finds a token input in the summary and a client key line in the outputs', () => {
    expect(() => assertNoLeaks({ 'nomad-token': 'secret-nomad-token' }, { ...quiet, summary: 'token secret-nomad-token' })).toThrow(
      'input nomad-token (18 chars) in summary'
    )
    const key = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----'
    expect(() => assertNoLeaks({ 'vault-client-key': key }, { ...quiet, output: 'x<<EOF\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nEOF' })).toThrow(
      'input vault-client-key'
    )
  })

  it('finds a value the action masked itself (a token it obtained) in stderr', () => {
    expect(() => assertNoLeaks({}, { ...quiet, stdout: '::add-mask::obtained-token-1234\n', stderr: 'debug obtained-token-1234' })).toThrow(
      'a masked value (19 chars) in stderr'
    )
  })
})
