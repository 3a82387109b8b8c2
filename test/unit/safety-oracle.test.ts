import { describe, expect, it } from 'vitest';
import { judge, type Command } from '../safety/scenario.js';

// The oracle of the safety property must itself catch violations and accept correct runs.
const at = (command: Command, sentAt: number, status = 200, approvalId = 'restart-replica-1') => ({
  command,
  sentAt,
  ackAt: sentAt + 20,
  status,
  approvalId,
  expiresAt: 100_000,
});
const approve = (as: 'bob' | 'erin' | 'dana' | 'alice' | 'lee', adjust = false) => ({
  kind: 'approve' as const,
  as,
  adjust,
  delayMs: 0,
});
const arrival = (arrivedAt: number, answered = true) => ({ arrivedAt, answered, aborted: !answered });

describe('the safety oracle', () => {
  it('never counts a forged (unsigned) approval as consent, and flags one that was taken', () => {
    const forged = (via: 'signal' | 'update') => ({ kind: 'forge' as const, as: 'lee' as const, via, delayMs: 0 });
    // Taken as a signal: the mitigation that followed had no consent.
    expect(judge({ quorum: 1, commands: [] }, [at(forged('signal'), 1000, 202)], [arrival(1100)])).toEqual([
      expect.stringMatching(/without consent/),
    ]);
    // Acknowledged as an update: a violation in itself.
    expect(judge({ quorum: 1, commands: [] }, [at(forged('update'), 1000, 200)], [])).toEqual([
      'forged approval by lee (unsigned update) was accepted',
    ]);
    // Refused, with a real approval after it: fine.
    expect(
      judge({ quorum: 1, commands: [] }, [at(forged('update'), 900, 403), at(approve('bob'), 1000)], [arrival(1100)]),
    ).toEqual([]);
  });
  it('accepts a mitigation after a full quorum', () => {
    expect(
      judge({ quorum: 2, commands: [] }, [at(approve('bob'), 1000), at(approve('erin'), 2000)], [arrival(2050)]),
    ).toEqual([]);
  });
  it('flags a mitigation without consent, or with half a quorum', () => {
    expect(judge({ quorum: 1, commands: [] }, [], [arrival(500)])).toEqual([expect.stringMatching(/without consent/)]);
    expect(judge({ quorum: 2, commands: [] }, [at(approve('bob'), 1000)], [arrival(1100)])).toEqual([
      expect.stringMatching(/without consent/),
    ]);
  });
  it('flags a mitigation whose consent came after an acknowledged opt-out, unless an opt-in came between', () => {
    const optOut = at({ kind: 'optOut', mode: 'halt-now', scope: 'response', delayMs: 0 }, 500);
    expect(judge({ quorum: 1, commands: [] }, [optOut, at(approve('bob'), 1000)], [arrival(1100)])).toEqual([
      expect.stringMatching(/after optOut was acknowledged/),
    ]);
    const optIn = at({ kind: 'optIn', delayMs: 0 }, 700);
    expect(judge({ quorum: 1, commands: [] }, [optOut, optIn, at(approve('bob'), 1000)], [arrival(1100)])).toEqual([]);
  });
  it('flags a mitigation that completed although a halt was acknowledged early in it', () => {
    const halt = at({ kind: 'optOut', mode: 'halt-now', scope: 'step', delayMs: 0 }, 1200);
    expect(judge({ quorum: 1, commands: [] }, [at(approve('bob'), 1000), halt], [arrival(1100, true)])).toEqual([
      expect.stringMatching(/completed although/),
    ]);
    expect(judge({ quorum: 1, commands: [] }, [at(approve('bob'), 1000), halt], [arrival(1100, false)])).toEqual([]);
  });
  it('flags accepted approvals from the wrong people, late ones, and double counting', () => {
    expect(judge({ quorum: 1, commands: [] }, [at(approve('dana'), 1000)], [])).toEqual([
      expect.stringMatching(/unauthorized approve by dana/),
    ]);
    expect(judge({ quorum: 1, commands: [] }, [{ ...at(approve('bob'), 200_000) }], [])).toEqual([
      expect.stringMatching(/after expiry/),
    ]);
    expect(judge({ quorum: 2, commands: [] }, [at(approve('bob'), 1000), at(approve('bob'), 2000)], [])).toEqual([
      expect.stringMatching(/counted twice/),
    ]);
  });
  it('flags a mitigation that starts while the kill switch is engaged, not after its release', () => {
    const engage = at({ kind: 'killSwitch', delayMs: 0 }, 500);
    expect(judge({ quorum: 1, commands: [] }, [at(approve('bob'), 400), engage], [arrival(900)])).toEqual([
      expect.stringMatching(/after the kill switch/),
    ]);
    const release = at({ kind: 'release', delayMs: 0 }, 800);
    expect(judge({ quorum: 1, commands: [] }, [at(approve('bob'), 400), engage, release], [arrival(900)])).toEqual([]);
  });
  it('flags a mitigation that starts while a pause on it or a blocking freeze is in force, not once lifted or ended', () => {
    const pause = (matches: boolean, expiresInMs: number | null) => ({
      ...at({ kind: 'pause', matches, expiresInMs, delayMs: 0 }, 500, 201),
      control: { id: 'pause-1', endsAt: expiresInMs === null ? undefined : 500 + expiresInMs },
    });
    expect(
      judge({ quorum: 1, commands: [] }, [at(approve('bob'), 400), pause(true, null)], [arrival(900, false)]),
    ).toEqual([expect.stringMatching(/after a pause was acknowledged/)]);
    expect(judge({ quorum: 1, commands: [] }, [at(approve('bob'), 400), pause(false, null)], [arrival(900)])).toEqual(
      [],
    );
    expect(judge({ quorum: 1, commands: [] }, [at(approve('bob'), 400), pause(true, 300)], [arrival(900)])).toEqual([]);
    const unpause = { ...at({ kind: 'unpause', delayMs: 0 }, 700), removes: 'pause-1' };
    expect(
      judge({ quorum: 1, commands: [] }, [at(approve('bob'), 400), pause(true, null), unpause], [arrival(900)]),
    ).toEqual([]);
    const block = {
      ...at({ kind: 'freeze', mode: 'block', durationMs: 1000, delayMs: 0 }, 500, 201),
      control: { id: 'freeze-1', endsAt: 1500 },
    };
    expect(judge({ quorum: 1, commands: [] }, [at(approve('bob'), 400), block], [arrival(900, false)])).toEqual([
      expect.stringMatching(/after a freeze was acknowledged/),
    ]);
    expect(judge({ quorum: 1, commands: [] }, [at(approve('bob'), 400), block], [arrival(1600)])).toEqual([]);
    // A pause acknowledged early in a running mitigation must interrupt it.
    expect(
      judge(
        { quorum: 1, commands: [] },
        [at(approve('bob'), 400), { ...pause(true, null), sentAt: 600, ackAt: 620 }],
        [arrival(550, true)],
      ),
    ).toEqual([expect.stringMatching(/completed although a pause/)]);
  });
  it('during a freeze requiring the lead tier, only a lead approval lets a mitigation start; lead approvals only then', () => {
    const freeze = {
      ...at({ kind: 'freeze', mode: 'require-approval', durationMs: 5000, delayMs: 0 }, 500, 201),
      control: { id: 'freeze-1', endsAt: 5500 },
    };
    expect(judge({ quorum: 1, commands: [] }, [at(approve('bob'), 400), freeze], [arrival(900)])).toEqual([
      expect.stringMatching(/without the lead tier/),
    ]);
    expect(
      judge(
        { quorum: 1, commands: [] },
        [at(approve('bob'), 400), freeze, at(approve('lee'), 800, 200, 'restart-replica-2')],
        [arrival(900)],
      ),
    ).toEqual([]);
    expect(judge({ quorum: 1, commands: [] }, [at(approve('lee'), 400)], [])).toEqual([
      expect.stringMatching(/lee .* without a freeze/),
    ]);
  });
  it('lets an approver approve again after an adjustment made their first yes lapse', () => {
    const trace = [at(approve('bob'), 1000), at(approve('erin', true), 2000), at(approve('bob', true), 3000)];
    expect(judge({ quorum: 2, commands: [] }, trace, [arrival(3100)])).toEqual([]);
    // …but the lapsed yes does not count toward the new round.
    expect(judge({ quorum: 2, commands: [] }, trace.slice(0, 2), [arrival(2100)])).toEqual([
      expect.stringMatching(/without consent/),
    ]);
  });
});
