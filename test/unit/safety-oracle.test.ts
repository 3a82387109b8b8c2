import { describe, expect, it } from 'vitest';
import { judge, type Command } from '../safety/scenario.js';

// The oracle of the safety property must itself catch violations and accept correct runs.
const at = (command: Command, sentAt: number, status = 200, approvalId = 'restart-replica-1') => ({ command, sentAt, ackAt: sentAt + 20, status, approvalId, expiresAt: 100_000 });
const approve = (as: 'bob' | 'erin' | 'dana' | 'alice', adjust = false) => ({ kind: 'approve' as const, as, adjust, delayMs: 0 });
const arrival = (arrivedAt: number, answered = true) => ({ arrivedAt, answered, aborted: !answered });

describe('the safety oracle', () => {
  it('accepts a mitigation after a full quorum', () => {
    expect(judge({ quorum: 2, commands: [] }, [at(approve('bob'), 1000), at(approve('erin'), 2000)], [arrival(2050)])).toEqual([]);
  });
  it('flags a mitigation without consent, or with half a quorum', () => {
    expect(judge({ quorum: 1, commands: [] }, [], [arrival(500)])).toEqual([expect.stringMatching(/without consent/)]);
    expect(judge({ quorum: 2, commands: [] }, [at(approve('bob'), 1000)], [arrival(1100)])).toEqual([expect.stringMatching(/without consent/)]);
  });
  it('flags a mitigation whose consent came after an acknowledged opt-out, unless an opt-in came between', () => {
    const optOut = at({ kind: 'optOut', mode: 'halt-now', scope: 'response', delayMs: 0 }, 500);
    expect(judge({ quorum: 1, commands: [] }, [optOut, at(approve('bob'), 1000)], [arrival(1100)])).toEqual([expect.stringMatching(/after optOut was acknowledged/)]);
    const optIn = at({ kind: 'optIn', delayMs: 0 }, 700);
    expect(judge({ quorum: 1, commands: [] }, [optOut, optIn, at(approve('bob'), 1000)], [arrival(1100)])).toEqual([]);
  });
  it('flags a mitigation that completed although a halt was acknowledged early in it', () => {
    const halt = at({ kind: 'optOut', mode: 'halt-now', scope: 'step', delayMs: 0 }, 1200);
    expect(judge({ quorum: 1, commands: [] }, [at(approve('bob'), 1000), halt], [arrival(1100, true)])).toEqual([expect.stringMatching(/completed although/)]);
    expect(judge({ quorum: 1, commands: [] }, [at(approve('bob'), 1000), halt], [arrival(1100, false)])).toEqual([]);
  });
  it('flags accepted approvals from the wrong people, late ones, and double counting', () => {
    expect(judge({ quorum: 1, commands: [] }, [at(approve('dana'), 1000)], [])).toEqual([expect.stringMatching(/unauthorized approve by dana/)]);
    expect(judge({ quorum: 1, commands: [] }, [{ ...at(approve('bob'), 200_000) }], [])).toEqual([expect.stringMatching(/after expiry/)]);
    expect(judge({ quorum: 2, commands: [] }, [at(approve('bob'), 1000), at(approve('bob'), 2000)], [])).toEqual([expect.stringMatching(/counted twice/)]);
  });
  it('flags a mitigation that starts while the kill switch is engaged, not after its release', () => {
    const engage = at({ kind: 'killSwitch', delayMs: 0 }, 500);
    expect(judge({ quorum: 1, commands: [] }, [at(approve('bob'), 400), engage], [arrival(900)])).toEqual([expect.stringMatching(/after the kill switch/)]);
    const release = at({ kind: 'release', delayMs: 0 }, 800);
    expect(judge({ quorum: 1, commands: [] }, [at(approve('bob'), 400), engage, release], [arrival(900)])).toEqual([]);
  });
  it('lets an approver approve again after an adjustment made their first yes lapse', () => {
    const trace = [at(approve('bob'), 1000), at(approve('erin', true), 2000), at(approve('bob', true), 3000)];
    expect(judge({ quorum: 2, commands: [] }, trace, [arrival(3100)])).toEqual([]);
    // …but the lapsed yes does not count toward the new round.
    expect(judge({ quorum: 2, commands: [] }, trace.slice(0, 2), [arrival(2100)])).toEqual([expect.stringMatching(/without consent/)]);
  });
});
