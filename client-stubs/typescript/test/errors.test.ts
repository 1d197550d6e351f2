// Unit tests of the status-code mapping and bearer metadata (no daemon needed):
// node --test dist/test/errors.test.js
import { strict as assert } from "node:assert";
import { test } from "node:test";
import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { FlowSidecarClient, FlowSidecarError, PermissionDenied, ResourceExhausted, Unavailable, fromServiceError } from "../src/index";

function serviceError(code: status, details: string, trailers = new Metadata()): ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: trailers });
}

test("fromServiceError: PERMISSION_DENIED maps to PermissionDenied with code and details", () => {
  const e = fromServiceError(serviceError(status.PERMISSION_DENIED, "connector outside the run's scope"));
  assert.ok(e instanceof PermissionDenied);
  assert.equal(e.code, status.PERMISSION_DENIED);
  assert.equal(e.message, "PERMISSION_DENIED: connector outside the run's scope");
  assert.equal(e.name, "PermissionDenied");
});

test("fromServiceError: RESOURCE_EXHAUSTED reads retry-after-ms", () => {
  const md = new Metadata();
  md.set("retry-after-ms", "1500");
  const e = fromServiceError(serviceError(status.RESOURCE_EXHAUSTED, "slow down", md));
  assert.ok(e instanceof ResourceExhausted);
  assert.equal((e as ResourceExhausted).retryAfterMs, 1500);
  assert.equal((fromServiceError(serviceError(status.RESOURCE_EXHAUSTED, "")) as ResourceExhausted).retryAfterMs, undefined);
});

test("fromServiceError: unmapped code gives the base class", () => {
  const e = fromServiceError(serviceError(status.INTERNAL, "boom"));
  assert.equal(e.constructor, FlowSidecarError);
});

test("callMetadata: bearer only with a token", () => {
  const c = FlowSidecarClient.tcp("127.0.0.1", 1);
  try {
    assert.deepEqual(c.callMetadata().get("authorization"), []);
    assert.deepEqual(c.withToken("fss_x").callMetadata().get("authorization"), ["Bearer fss_x"]);
  } finally {
    c.close();
  }
});

test("health: no daemon rejects with Unavailable", async () => {
  const c = FlowSidecarClient.unix("/nonexistent/sidecar.sock", { timeoutMs: 2000 });
  try {
    await assert.rejects(c.health(), Unavailable);
  } finally {
    c.close();
  }
});
