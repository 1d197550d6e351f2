/**
 * TypeScript client for the Flow Sidecar daemon: {@link FlowSidecarClient} (Unix socket or
 * loopback TCP, bearer tokens, typed errors) and the generated ts-proto messages and grpc-js
 * clients of the v1 contract.
 */
export { DEFAULT_SOCKET, DEFAULT_TIMEOUT_MS, FlowSidecarClient, type FlowSidecarClientOptions } from "./client";
export {
  AlreadyExists,
  FailedPrecondition,
  FlowSidecarError,
  InvalidArgument,
  NotFound,
  PermissionDenied,
  ResourceExhausted,
  RETRY_AFTER_TRAILER,
  Unauthenticated,
  Unavailable,
  Unimplemented,
  fromServiceError,
} from "./errors";
export * as identityV1 from "./gen/apixx/flow/sidecar/v1/identity";
export * as credentialsV1 from "./gen/apixx/flow/sidecar/v1/credentials";
export * as auditV1 from "./gen/apixx/flow/sidecar/v1/audit";
export { HealthCheckResponse_ServingStatus } from "./gen/grpc/health/v1/health";
