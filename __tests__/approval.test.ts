/**
 * The reviewed plan's digest and its comparison (src/approval/): what the plan-id covers and what it leaves out,
 * what a refusal says given an id or a plan file, and the plan file as the expected-plan input reads it.
 */
import { describe, expect, it } from '@jest/globals'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { planDifferences } from '../src/approval/compare.js'
import { buildPlanDocument, canonicalJson, computePlanId, MAX_JOB_SEGMENTS, PLAN_ID_RE, type PlanParts } from '../src/approval/plan-doc.js'
import { readExpectedPlan, writePlanFile } from '../src/approval/plan-file.js'

function parts(over: { index?: number; image?: string; sha?: string; period?: number; region?: string } = {}): PlanParts {
  return {
    target: {
      vaultAddr: 'https://vault.example:8200',
      vaultNamespace: '',
      nomadAddr: 'https://nomad.example:4646',
      nomadNamespace: '',
      nomadRegion: over.region ?? '',
      authPath: 'jwt-nomad'
    },
    vault: {
      changes: [
        {
          resource: 'role',
          action: 'update',
          path: 'auth/jwt-nomad/role/web',
          diff: [{ field: 'token_period', before: over.period ?? 7200, after: 3600 }]
        }
      ]
    },
    jobs: [
      {
        file: 'deploy/web.nomad.hcl',
        jobId: 'web',
        namespace: 'default',
        job: {
          ID: 'web',
          Meta: { github_sha: over.sha ?? 'aaa', github_repository: 'acme/web' },
          TaskGroups: [{ Tasks: [{ Config: { image: over.image ?? 'web:1' } }] }]
        },
        jobModifyIndex: over.index ?? 10,
        diff: { Type: 'Edited', Fields: [{ Name: 'Meta[github_sha]', Old: 'zzz', New: over.sha ?? 'aaa' }] }
      }
    ]
  }
}

describe('plan-id', () => {
  it('is the same for the same plan whatever the key order, and has the documented shape', () => {
    const a = parts()
    const b = JSON.parse(canonicalJson(parts())) as PlanParts
    b.jobs[0].job = {
      TaskGroups: (a.jobs[0].job as { TaskGroups: unknown }).TaskGroups,
      Meta: { github_repository: 'acme/web', github_sha: 'aaa' },
      ID: 'web'
    }
    expect(computePlanId(b)).toBe(computePlanId(a))
    expect(computePlanId(a)).toMatch(PLAN_ID_RE)
    expect(computePlanId(a)).toMatch(/^[A-Za-z0-9:_-]{16,}$/)
  })

  it('changes with the Vault state, the job, the job modify index and the target', () => {
    const id = computePlanId(parts())
    for (const other of [parts({ period: 60 }), parts({ image: 'web:2' }), parts({ index: 11 }), parts({ region: 'eu' })]) {
      expect(computePlanId(other)).not.toBe(id)
    }
  })

  it('leaves out the per-commit release values (a plan on the pull request matches the apply after the merge)', () => {
    expect(computePlanId(parts({ sha: 'bbb' }))).toBe(computePlanId(parts()))
  })

  it(`has one segment for all jobs above ${MAX_JOB_SEGMENTS} jobs`, () => {
    const many = parts()
    many.jobs = Array.from({ length: MAX_JOB_SEGMENTS + 1 }, (_, i) => ({ ...parts().jobs[0], jobId: `web-${i}` }))
    const id = computePlanId(many)
    expect(id.split('-')).toHaveLength(5)
    expect(id).toMatch(/-J[0-9a-f]{8}$/)
  })
})

describe('planDifferences', () => {
  it('given a plan-id, names the part that differs', () => {
    const approved = computePlanId(parts())
    expect(planDifferences(approved, buildPlanDocument(parts()))).toEqual([])
    expect(planDifferences(approved, buildPlanDocument(parts({ period: 60 })))).toEqual([expect.stringContaining('the Vault changes differ')])
    expect(planDifferences(approved, buildPlanDocument(parts({ index: 12 })))).toEqual([
      expect.stringContaining('job "web" (deploy/web.nomad.hcl) differs')
    ])
  })

  it('given the plan file, shows each difference before and after', () => {
    const approved = buildPlanDocument(parts())
    const diffs = planDifferences(approved, buildPlanDocument(parts({ period: 60, index: 12, image: 'web:2', region: 'eu' })))
    expect(diffs).toContain('nomad-region: approved "", now "eu"')
    expect(diffs).toContain('Vault auth/jwt-nomad/role/web: update (token_period 7200 → 3600) was approved; now update (token_period 60 → 3600)')
    const job = diffs.find((d) => d.startsWith('job "web"'))
    expect(job).toContain('job modify index 10 → 12')
    expect(job).toContain('job.TaskGroups[0].Tasks[0].Config.image "web:1" → "web:2"')
  })
})

describe('the plan file and expected-plan', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nva-plan-'))

  it('reads back a plan file the run wrote, and a plan-id as an id', async () => {
    const doc = buildPlanDocument(parts())
    const file = await writePlanFile(dir, doc)
    expect(readExpectedPlan(file)).toEqual(doc)
    expect(readExpectedPlan(` ${doc.planId}\n`)).toBe(doc.planId)
  })

  it('refuses a plan file edited after it was written, a cut plan-id, and a file of something else', async () => {
    const doc = buildPlanDocument(parts())
    const file = await writePlanFile(dir, doc)
    const edited = JSON.parse(fs.readFileSync(file, 'utf8'))
    edited.jobs[0].jobModifyIndex = 99
    fs.writeFileSync(file, JSON.stringify(edited))
    expect(() => readExpectedPlan(file)).toThrow(/does not match its planId .* \(the file was changed after it was written\)/)
    expect(() => readExpectedPlan(doc.planId.slice(0, 30))).toThrow(/looks like a plan-id but is not one/)
    const other = path.join(dir, 'other.json')
    fs.writeFileSync(other, '{"a":1}')
    expect(() => readExpectedPlan(other)).toThrow(/is not a plan file of this action/)
    expect(() => readExpectedPlan(path.join(dir, 'missing.json'))).toThrow(/Input "expected-plan": .* does not exist/)
  })
})
