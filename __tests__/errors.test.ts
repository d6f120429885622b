/** withNote (src/errors.ts): a note on an error's message is a new error; the original is left as it was. */
import { describe, expect, it } from '@jest/globals'
import { ActionError, HttpError, withNote } from '../src/errors.js'

describe('withNote', () => {
  it('builds a new error of the same class, with the same fields, the note appended and the original as its cause', () => {
    const err = new HttpError('Vault', 'POST', '/v1/auth/jwt/role/r', 403, 'permission denied')
    const noted = withNote(err, ' Vault was put back as it was before the run (1 object(s) restored).')
    expect(noted).not.toBe(err)
    expect(noted).toBeInstanceOf(HttpError)
    expect(noted).toMatchObject({ name: 'HttpError', server: 'Vault', status: 403, serverMessage: 'permission denied' })
    expect(noted.message).toBe(
      'Vault POST /v1/auth/jwt/role/r failed with HTTP 403: permission denied Vault was put back as it was before the run (1 object(s) restored).'
    )
    expect(noted.cause).toBe(err)
    expect(err.message).toBe('Vault POST /v1/auth/jwt/role/r failed with HTTP 403: permission denied')
  })

  it('keeps a bug a bug (a plain Error stays one, with its stack) and leaves what is not an Error alone', () => {
    const bug = new TypeError('x is undefined')
    const noted = withNote(bug, ' Nothing was written.')
    expect(noted).toBeInstanceOf(TypeError)
    expect(noted).not.toBeInstanceOf(ActionError)
    expect(noted.stack).toBe(bug.stack)
    expect(withNote('a string', ' note')).toBe('a string')
  })
})
