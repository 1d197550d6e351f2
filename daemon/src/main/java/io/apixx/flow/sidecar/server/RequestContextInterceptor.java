package io.apixx.flow.sidecar.server;

import io.apixx.flow.sidecar.auth.Peer;
import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * First interceptor of every call: records the peer (TCP address, or SO_PEERCRED on the Unix
 * socket) and a request id in the {@link Context}, echoes the request id in response metadata,
 * and enforces the optional Unix-socket peer-UID allowlist.
 */
public final class RequestContextInterceptor implements ServerInterceptor {
  /** Callers may send their own request id; we echo it or the one we made. */
  static final Metadata.Key<String> REQUEST_ID =
      Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);

  private static final Pattern VALID_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

  private final Set<Integer> allowedUids;

  public RequestContextInterceptor(Set<Integer> allowedUids) {
    this.allowedUids = Set.copyOf(allowedUids);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    Peer peer = peerOf(call.getAttributes());
    String supplied = headers.get(REQUEST_ID);
    String requestId =
        supplied != null && VALID_REQUEST_ID.matcher(supplied).matches()
            ? supplied
            : UUID.randomUUID().toString();

    ServerCall<Q, R> echoing = new EchoRequestId<>(call, requestId);
    if (peer.transport() == Peer.Transport.UNIX
        && !allowedUids.isEmpty()
        && !allowedUids.contains(peer.uid())) {
      // Fail closed: an unknown uid (-1, credentials unreadable) is never on the list.
      echoing.close(
          Status.PERMISSION_DENIED.withDescription(
              "peer uid " + peer.uid() + " is not allowed on this socket (server.allowed_peer_uids)"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    Context ctx =
        Context.current().withValues(CallContext.PEER, peer, CallContext.REQUEST_ID, requestId);
    return Contexts.interceptCall(ctx, echoing, headers, next);
  }

  static Peer peerOf(Attributes attrs) {
    SocketAddress remote = attrs.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    if (remote instanceof InetSocketAddress inet) {
      return Peer.tcp(inet.getAddress() == null ? inet.getHostString() : inet.getAddress().getHostAddress());
    }
    if (remote instanceof DomainSocketAddress) {
      UnixPeerCredentials creds = attrs.get(UnixPeerCredentials.KEY);
      return creds == null ? Peer.unix(0, -1) : Peer.unix(creds.pid(), creds.uid());
    }
    return Peer.inProcess();
  }

  private static final class EchoRequestId<Q, R> extends SimpleForwardingServerCall<Q, R> {
    private final String requestId;
    private boolean headersSent;

    EchoRequestId(ServerCall<Q, R> delegate, String requestId) {
      super(delegate);
      this.requestId = requestId;
    }

    @Override
    public void sendHeaders(Metadata headers) {
      headers.put(REQUEST_ID, requestId);
      headersSent = true;
      super.sendHeaders(headers);
    }

    @Override
    public void close(Status status, Metadata trailers) {
      if (!headersSent) {
        trailers.put(REQUEST_ID, requestId);
      }
      super.close(status, trailers);
    }
  }
}
