import { incidentFacets, type AlertDelivery } from './alert.js';

/**
 * What the Temporal UI shows for a response from its start: one line (the alert and the service)
 * and a short markdown block (the alerts as they arrived). Fixed at start, so it describes what
 * opened the response; the live state is in the workflow's current details.
 */
export function startSummary(delivery: AlertDelivery): { summary: string; details: string } {
  const { service, environment, severity } = incidentFacets(delivery.labels);
  const summary = `${delivery.title} on ${service}/${environment} (${severity}, from ${delivery.source})`;
  const alerts = delivery.alerts.slice(0, 10).map((a) => {
    const name = a.labels.alertname ?? a.fingerprint;
    const text = a.annotations.summary ?? a.annotations.description ?? '';
    return `- **${name}** ${a.status}${text ? `: ${oneLine(text)}` : ''}`;
  });
  const more = delivery.alerts.length > 10 ? [`- … and ${delivery.alerts.length - 10} more`] : [];
  const details = [
    `**${oneLine(delivery.title)}**: ${service}/${environment}, severity ${severity}`,
    `Opened by ${delivery.source} at ${delivery.receivedAt}${delivery.externalUrl ? ` ([source](${delivery.externalUrl}))` : ''}`,
    '',
    ...alerts,
    ...more,
  ].join('\n');
  return { summary: clip(oneLine(summary), 200), details: clip(details, 4000) };
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
