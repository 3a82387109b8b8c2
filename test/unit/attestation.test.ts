import { generateKeyPairSync } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDecisionSigner } from '../../src/api/auth/decision-signer.js';
import { loadTrust } from '../../src/clients/config/trust.js';
import type { Actor } from '../../src/domain/actor/actor.js';
import { verifyAttestation } from '../../src/domain/trust/attestation.js';
import { letsAutomationProceed, liftRefusal, teamRefusal } from '../../src/domain/trust/rules.js';

const lee: Actor = {
  id: 'lee',
  name: 'Lee Lead',
  channel: 'api',
  roles: ['approver'],
  groups: ['lead'],
  teams: ['payments'],
};
const NOW = Date.parse('2026-11-23T10:00:00Z');

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const hex = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
  return { privateKey, hex };
}

describe('signed decisions', () => {
  const gateway = keyPair();
  const signer = createDecisionSigner({ keyId: 'gw-1', privateKey: gateway.privateKey, now: () => NOW });
  const trust = { keys: { 'gw-1': gateway.hex }, maxAgeMs: 300_000 };
  const content = { approvalId: 'restart-1', decision: 'approve', reason: 'lag confirmed' };
  const signed = () => ({
    ...content,
    actor: lee,
    attestation: signer.attest(lee, 'incident-x', 'decide', { ...content, actor: lee }),
  });
  const expect_ = { workflowId: 'incident-x', input: 'decide' };
  const verify = (input: any, nowMs = NOW, seen: (n: string) => boolean = () => false, t = trust) =>
    verifyAttestation(input.attestation, { ...expect_, content: input }, t, nowMs, seen);

  it('verifies what the gateway signed, and takes the person from the claims', () => {
    const v = verify(signed());
    expect(v.ok).toBe(true);
    expect(v.ok && v.claims.actor).toEqual({ ...lee });
  });

  it('refuses a forged, altered, misdirected, stale, early or replayed decision, saying why', () => {
    const s = signed();
    const other = keyPair();
    expect(verify(s, NOW, () => false, { ...trust, keys: { 'gw-1': other.hex } })).toEqual({
      ok: false,
      reason: 'the attestation signature does not verify',
    });
    expect(verify({ ...s, attestation: { ...s.attestation, keyId: 'gw-9' } })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('"gw-9"'),
    });
    // The claims are the signed text: changing who it says (a bigger role) breaks the signature.
    const forged = {
      ...s,
      attestation: { ...s.attestation, claims: s.attestation.claims.replace('"approver"', '"admin"') },
    };
    expect(verify(forged)).toEqual({ ok: false, reason: 'the attestation signature does not verify' });
    expect(verify({ ...s, decision: 'reject' })).toEqual({
      ok: false,
      reason: 'the decision was signed for other content',
    });
    expect(
      verifyAttestation(
        s.attestation,
        { workflowId: 'incident-y', input: 'decide', content: s },
        trust,
        NOW,
        () => false,
      ),
    ).toEqual({
      ok: false,
      reason: 'the decision was signed for another workflow',
    });
    expect(
      verifyAttestation(
        s.attestation,
        { workflowId: 'incident-x', input: 'optIn', content: s },
        trust,
        NOW,
        () => false,
      ),
    ).toMatchObject({ ok: false });
    expect(verify(s, NOW + 300_001)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^the decision expired/),
    });
    expect(verify(s, NOW - 120_000)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/signed in the future/),
    });
    expect(verify(s, NOW, () => true)).toEqual({ ok: false, reason: 'the decision was already used (replayed nonce)' });
    expect(verify({ ...s, attestation: { keyId: 'gw-1', claims: '{}', signature: 'zz' } })).toEqual({
      ok: false,
      reason: 'the attestation is malformed',
    });
  });

  it('each signature carries its own nonce', () => {
    const a = JSON.parse(signed().attestation.claims);
    const b = JSON.parse(signed().attestation.claims);
    expect(a.nonce).not.toBe(b.nonce);
  });
});

describe('trust rules', () => {
  it('only inputs that let automation proceed need a verified person', () => {
    expect(letsAutomationProceed('decide', { decision: 'approve' })).toBe(true);
    expect(letsAutomationProceed('decide', { decision: 'reject' })).toBe(false);
    expect(letsAutomationProceed('optIn', {})).toBe(true);
    expect(letsAutomationProceed('override', { type: 'set-inputs' })).toBe(true);
    expect(letsAutomationProceed('override', { type: 'skip-step' })).toBe(false);
    expect(letsAutomationProceed('releaseKillSwitch', {})).toBe(true);
    expect(letsAutomationProceed('removeControl', {})).toBe(true);
    // A mitigation of unknown effect: running it again or moving past it is verified; handing over is open.
    expect(letsAutomationProceed('settleMitigation', { choice: 'retry' })).toBe(true);
    expect(letsAutomationProceed('settleMitigation', { choice: 'mark-done' })).toBe(true);
    expect(letsAutomationProceed('settleMitigation', { choice: 'hand-over' })).toBe(false);
    for (const safer of ['optOut', 'addNote', 'resolve', 'engageKillSwitch', 'addPause', 'addFreeze', 'addRule'])
      expect(letsAutomationProceed(safer, {})).toBe(false);
  });

  it('teams and lifting controls', () => {
    expect(teamRefusal(lee, 'payments')).toBeUndefined();
    expect(teamRefusal(lee, 'search')).toBe('lee acts for teams payments; this incident belongs to team search');
    expect(teamRefusal({ ...lee, teams: ['*'] }, 'search')).toBeUndefined();
    expect(teamRefusal({ ...lee, roles: ['admin'], teams: [] }, 'search')).toBeUndefined();
    expect(teamRefusal(lee, undefined)).toBeUndefined();
    const policy = { roles: ['admin' as const], engager: true };
    expect(liftRefusal({ id: 'ada', roles: ['admin'] }, 'alice', policy)).toBeUndefined();
    expect(liftRefusal({ id: 'alice', roles: ['responder'] }, 'alice', policy)).toBeUndefined();
    expect(liftRefusal({ id: 'bob', roles: ['responder'] }, 'alice', policy)).toMatch(
      /bob may not lift this control: it needs the roles admin or the person who engaged it/,
    );
    expect(liftRefusal({ id: 'alice', roles: ['responder'] }, 'alice', { roles: ['admin'], engager: false })).toMatch(
      /may not lift/,
    );
  });
});

describe('the keys file', () => {
  it('npm run keys writes a pair the worker loads and the gateway signs with', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interlock-keys-'));
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/decision-keys.ts', dir, '--id', 'gw-test'], {
      stdio: 'pipe',
    });
    expect(fs.statSync(path.join(dir, 'decision-signing.pem')).mode & 0o777).toBe(0o600);
    const trust = loadTrust({
      keysFile: path.join(dir, 'decision-keys.yaml'),
      maxAgeSeconds: 300,
      trustTemporalIdentity: false,
      liftRoles: ['admin'],
      engagerMayLift: true,
    });
    expect(Object.keys(trust.keys)).toEqual(['gw-test']);
    expect(trust.keys['gw-test']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names the file and the entry when a key is wrong', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interlock-keys-'));
    const file = path.join(dir, 'k.yaml');
    fs.writeFileSync(file, 'keys:\n  - id: a\n    publicKey: not a key\n');
    expect(() =>
      loadTrust({
        keysFile: file,
        maxAgeSeconds: 300,
        trustTemporalIdentity: false,
        liftRoles: [],
        engagerMayLift: true,
      }),
    ).toThrow(new RegExp(`${file.replace(/[.]/g, '\\.')}: keys\\.0\\.publicKey: `));
  });
});
