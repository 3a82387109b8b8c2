// The worker's payload converter: the SDK's default, except that a payload it cannot decode
// (broken JSON, an unknown encoding, no metadata) becomes a marked value instead of an exception.
//
// Why: anyone with access to Temporal can send a signal with any bytes. With the default, the
// decode error is thrown while the workflow task is activated, the task fails, and it fails again
// on every retry because the signal stays in history: one bad signal wedges a response (or the
// guardrails) until someone terminates it. Here the handler receives `{ undecodablePayload }`,
// which no input schema accepts, so it is refused and recorded like any malformed input.
//
// What we encode ourselves always decodes, so our own inputs, results and activity arguments are
// unchanged. Plain CommonJS on purpose: the worker loads this file with require() (outside any
// TypeScript loader) and the bundler puts it into the workflow sandbox (no Node.js imports).
'use strict';
const { defaultPayloadConverter } = require('@temporalio/common');

class TolerantPayloadConverter {
  toPayload(value) {
    return defaultPayloadConverter.toPayload(value);
  }

  fromPayload(payload) {
    try {
      return defaultPayloadConverter.fromPayload(payload);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return { undecodablePayload: reason.slice(0, 200) };
    }
  }
}

exports.TolerantPayloadConverter = TolerantPayloadConverter;
exports.payloadConverter = new TolerantPayloadConverter();
