import * as path from "node:path";
import {
  type CallOptions,
  Channel,
  type ChannelOptions,
  credentials,
  Metadata,
  type ServiceError,
} from "@grpc/grpc-js";
import { CredentialServiceClient } from "./gen/apixx/flow/sidecar/v1/credentials";
import { IdentityServiceClient, type Session } from "./gen/apixx/flow/sidecar/v1/identity";
import { HealthCheckResponse_ServingStatus, HealthClient } from "./gen/grpc/health/v1/health";
import { fromServiceError } from "./errors";

/** Where the daemon's Unix socket is in Kubernetes (the Helm chart's shared emptyDir). */
export const DEFAULT_SOCKET = "/run/flow-sidecar/sidecar.sock";

/** Per-call deadline, in milliseconds, unless the options say otherwise. */
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface FlowSidecarClientOptions {
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: string;
  /** Per-call deadline in milliseconds (default 10 s). */
  timeoutMs?: number;
  /** Extra grpc-js channel options. */
  channelOptions?: ChannelOptions;
}

interface Stubs {
  channel: Channel;
  identity: IdentityServiceClient;
  credentials: CredentialServiceClient;
  health: HealthClient;
}

/**
 * A client for the Flow Sidecar daemon over its Unix socket or loopback TCP listener.
 *
 * The transport is plaintext gRPC: both listeners are pod-local. Every helper returns a Promise
 * that rejects with a {@link FlowSidecarError} subclass, never a raw grpc-js error. The generated
 * clients ({@link identity}, {@link credentials}) cover every other RPC; pass them
 * {@link callMetadata} and {@link callOptions}. One client (one channel) per process is enough.
 */
export class FlowSidecarClient {
  private constructor(
    private readonly stubs: Stubs,
    private readonly token: string | undefined,
    private readonly timeoutMs: number,
    private readonly owner: boolean,
  ) {}

  /** Connects to the daemon's Unix domain socket (a relative path is made absolute). */
  static unix(socketPath: string = DEFAULT_SOCKET, options: FlowSidecarClientOptions = {}): FlowSidecarClient {
    return FlowSidecarClient.connect(`unix://${path.resolve(socketPath)}`, options);
  }

  /** Connects to the daemon's loopback TCP listener. */
  static tcp(host = "127.0.0.1", port = 50051, options: FlowSidecarClientOptions = {}): FlowSidecarClient {
    const h = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
    return FlowSidecarClient.connect(`${h}:${port}`, options);
  }

  private static connect(target: string, options: FlowSidecarClientOptions): FlowSidecarClient {
    const insecure = credentials.createInsecure();
    const channel = new Channel(target, insecure, options.channelOptions ?? {});
    // The three generated clients share one channel (one connection to the daemon).
    const shared = { channelOverride: channel };
    const stubs: Stubs = {
      channel,
      identity: new IdentityServiceClient(target, insecure, shared),
      credentials: new CredentialServiceClient(target, insecure, shared),
      health: new HealthClient(target, insecure, shared),
    };
    return new FlowSidecarClient(stubs, options.token, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, true);
  }

  /**
   * A view of this client that sends `token` as the bearer token. It shares the channel: closing
   * the view does nothing, closing this client closes both.
   */
  withToken(token: string): FlowSidecarClient {
    return new FlowSidecarClient(this.stubs, token, this.timeoutMs, false);
  }

  /** The generated IdentityService client. */
  get identity(): IdentityServiceClient {
    return this.stubs.identity;
  }

  /** The generated CredentialService client. */
  get credentials(): CredentialServiceClient {
    return this.stubs.credentials;
  }

  /** The metadata this client sends: the bearer token, if it has one. */
  callMetadata(token: string | undefined = this.token): Metadata {
    const md = new Metadata();
    if (token) {
      md.set("authorization", `Bearer ${token}`);
    }
    return md;
  }

  /** Call options with this client's deadline, computed now. */
  callOptions(): Partial<CallOptions> {
    return { deadline: Date.now() + this.timeoutMs };
  }

  /** grpc.health.v1 Check for `service` ("" is the whole daemon). Needs no token. */
  health(service = ""): Promise<HealthCheckResponse_ServingStatus> {
    return unary<{ status: HealthCheckResponse_ServingStatus }>((cb) =>
      this.stubs.health.check({ service }, new Metadata(), this.callOptions(), cb),
    ).then((r) => r.status);
  }

  /**
   * Trades a run token (sent as the bearer, whatever this client's own token is) for a run
   * session. Each run token is accepted once. The session's `token` (prefix `fss_`) is the bearer
   * for later calls: `client.withToken(session.token)`. Treat it like a password.
   * Rejects with Unauthenticated for an invalid, expired or already-used run token.
   */
  async exchangeRunToken(runToken: string, clientLabel = ""): Promise<Session> {
    const response = await unary<{ session?: Session }>((cb) =>
      this.stubs.identity.exchangeRunToken({ clientLabel }, this.callMetadata(runToken), this.callOptions(), cb),
    );
    if (!response.session) {
      throw new Error("ExchangeRunToken answered without a session");
    }
    return response.session;
  }

  /**
   * Fetches the decrypted secret fields of a connector's credential, by name. Needs a run session
   * token whose run token lists the connector. Rejects with PermissionDenied for a connector outside
   * the run's scope, NotFound when it has no credential, FailedPrecondition when it is revoked or
   * residency forbids the release, Unavailable when the daemon cannot decrypt or audit now.
   * The values are secrets: never log them.
   */
  async getCredential(connectorId: string, tenantId = ""): Promise<Record<string, string>> {
    const response = await unary<{ secretFields: { [key: string]: string } }>((cb) =>
      this.stubs.credentials.getCredential({ connectorId, tenantId }, this.callMetadata(), this.callOptions(), cb),
    );
    return { ...response.secretFields };
  }

  /** Closes the channel if this client opened it (views from {@link withToken} do not). */
  close(): void {
    if (this.owner) {
      this.stubs.channel.close();
    }
  }
}

/** Runs a callback-style unary call and maps its failure to a FlowSidecarError. */
function unary<T>(start: (callback: (error: ServiceError | null, response: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((error, response) => (error ? reject(fromServiceError(error)) : resolve(response)));
  });
}
