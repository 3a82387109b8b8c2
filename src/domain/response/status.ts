import type { Actor } from '../actor/actor.js';
import type { Alert } from '../incident/alert.js';
import type { AuditEvent } from '../audit/event.js';

export type ResponsePhase =
  | 'waiting-for-alert'
  | 'diagnosing'
  | 'awaiting-approval'
  | 'mitigating'
  | 'completed'
  | 'no-playbook'
  | 'opted-out'
  | 'cancelled'
  | 'failed';

export type StepState = 'pending' | 'awaiting-approval' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'rejected' | 'expired' | 'cancelled';

export interface StepStatus {
  id: string;
  kind: string;
  action: string;
  title?: string;
  impact?: string;
  params: Record<string, unknown>;
  state: StepState;
  startedAt?: string;
  endedAt?: string;
  output?: unknown;
  error?: string;
}

export interface ApprovalDecisionRecord {
  actor: Pick<Actor, 'id' | 'name' | 'channel'>;
  decision: 'approve' | 'reject';
  reason: string;
  at: string;
}

export interface ApprovalRequest {
  id: string;
  stepId: string;
  state: 'pending' | 'approved' | 'rejected' | 'expired' | 'withdrawn';
  tier: string;
  approversRequired: number;
  requestedAt: string;
  expiresAt: string;
  requestedBy: Pick<Actor, 'id' | 'name'>;
  decisions: ApprovalDecisionRecord[];
  /** Everything an approver needs to decide without opening another tool. */
  context: {
    incidentId: string;
    title: string;
    service: string;
    environment: string;
    severity: string;
    alerts: Alert[];
    action: string;
    params: Record<string, unknown>;
    impact?: string;
    diagnostics: Array<{ stepId: string; state: StepState; output?: unknown; error?: string }>;
    ifNobodyAnswers: string;
  };
}

export interface ResponseStatus {
  incidentId: string;
  workflowId: string;
  phase: ResponsePhase;
  title: string;
  service: string;
  environment: string;
  severity: string;
  /** The alert group's common labels; they select the playbook. */
  labels: Record<string, string>;
  playbook?: { id: string; version: number };
  alerts: Alert[];
  deliveries: number;
  steps: StepStatus[];
  approvals: ApprovalRequest[];
  optOut?: { actor: Pick<Actor, 'id' | 'name' | 'channel'>; reason: string; at: string };
  timeline: AuditEvent[];
}
