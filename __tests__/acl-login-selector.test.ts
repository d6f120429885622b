/** The double's binding-rule selectors: the go-bexpr subset of test-support/nomad-double/acl-login.ts. */
import { describe, expect, it } from '@jest/globals'
import { selectorMatches } from '../test-support/nomad-double/acl-login.js'

const data = {
  value: { repository: 'acme/web', ref: 'refs/tags/v1.2.3', ref_type: 'tag', environment: '' },
  list: { groups: ['deployers', 'ops'] }
}
const m = (selector: string) => selectorMatches(selector, data)

describe('binding-rule selectors', () => {
  it('matches everything with an empty selector', () => {
    expect(m('')).toBe(true)
    expect(m('   ')).toBe(true)
  })

  it('compares mapped values with ==, != and matches', () => {
    expect(m('value.repository == "acme/web"')).toBe(true)
    expect(m('value.repository == acme/web')).toBe(true) // bare word
    expect(m('value.repository == `acme/web`')).toBe(true)
    expect(m('value.repository != "acme/web"')).toBe(false)
    expect(m('value.ref matches "^refs/tags/v[0-9]+"')).toBe(true)
    expect(m('value.ref not matches "^refs/heads/"')).toBe(true)
  })

  it('checks lists with in, not in and contains, and emptiness', () => {
    expect(m('"ops" in list.groups')).toBe(true)
    expect(m('"dev" not in list.groups')).toBe(true)
    expect(m('list.groups contains "deployers"')).toBe(true)
    expect(m('list.groups not contains "deployers"')).toBe(false)
    expect(m('value.environment is empty')).toBe(true)
    expect(m('list.groups is not empty')).toBe(true)
  })

  it('combines with and, or, not and parentheses', () => {
    expect(m('value.repository == "acme/web" and value.ref_type == "tag"')).toBe(true)
    expect(m('value.repository == "acme/api" or (value.ref_type == "tag" and "ops" in list.groups)')).toBe(true)
    expect(m('not value.ref_type == "branch"')).toBe(true)
    expect(m('value.repository == "acme/web" and not (value.ref_type == "tag")')).toBe(false)
  })

  it('matches nothing when a selector names a claim that is not mapped, or does not parse', () => {
    expect(m('value.sub == "repo:acme/web:ref:refs/tags/v1.2.3"')).toBe(false)
    expect(m('not value.sub == "x"')).toBe(false) // a failing evaluation is no match, even under not
    expect(m('value.repository ==')).toBe(false)
    expect(m('value.repository == "acme/web" and')).toBe(false)
    expect(m('(value.repository == "acme/web"')).toBe(false)
  })
})
