import { createRequire } from 'node:module';
import proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root.js';

/**
 * Workflow histories to and from the proto3 JSON form that Temporal's tools write (`temporal
 * workflow show --output json`, the Web UI's download), as `historyToJSON` / `historyFromJSON`
 * of @temporalio/common would.
 *
 * Why not those two: in this install npm gives @temporalio/common and @temporalio/proto each their
 * own copy of protobufjs 8 (the top-level protobufjs is 7, for @grpc/proto-loader), and the
 * common copy's protojson refuses the proto copy's types ("type must be a Type"). So we call the
 * protojson of the very copy of protobufjs that @temporalio/proto loads, whatever the layout.
 */
interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}
const requireFromProto = createRequire(createRequire(import.meta.url).resolve('@temporalio/proto'));
const protojson = requireFromProto('protobufjs/ext/protojson') as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType(
  'temporal.api.history.v1.History',
);

export type History = proto.temporal.api.history.v1.IHistory;

export function historyToJsonObject(history: History): unknown {
  return protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history));
}

export function historyFromJsonObject(json: unknown): History {
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { events?: unknown }).events))
    throw new TypeError('not a history: expected {events: [...]}');
  // Unknown fields (a newer server's) are ignored, as the SDK's own historyFromJSON does.
  return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
}
