package io.apixx.flow.sidecar.server;

import io.grpc.Attributes;
import io.grpc.netty.shaded.io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiationEvent;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiators;
import io.grpc.netty.shaded.io.grpc.netty.ProtocolNegotiationEvent;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.PeerCredentials;
import io.grpc.netty.shaded.io.netty.util.AsciiString;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A plaintext server negotiator for the Unix socket that reads the peer's SO_PEERCRED when the
 * connection becomes active and adds it to the transport attributes as
 * {@link UnixPeerCredentials#KEY}.
 *
 * <p>Why an internal gRPC API: grpc-netty exposes the remote {@code DomainSocketAddress} but not
 * the peer credentials, and the negotiation event is the one place where the Netty channel and the
 * gRPC transport attributes meet. The pipeline is the stock plaintext one
 * ({@code WaitUntilActiveHandler} then {@code GrpcNegotiationHandler}) with one handler between them.
 * If the credentials cannot be read the attribute is absent and the UID allowlist, when configured,
 * denies the call (fail closed).
 */
final class PeerCredentialsNegotiator implements InternalProtocolNegotiator.ProtocolNegotiator {
  private static final Logger log = LoggerFactory.getLogger(PeerCredentialsNegotiator.class);
  private static final AsciiString SCHEME = AsciiString.of("http");

  @Override
  public AsciiString scheme() {
    return SCHEME;
  }

  @Override
  public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
    ChannelHandler negotiation = InternalProtocolNegotiators.grpcNegotiationHandler(grpcHandler);
    return InternalProtocolNegotiators.waitUntilActiveHandler(
        new AttachPeerCredentials(negotiation), grpcHandler.getNegotiationLogger());
  }

  @Override
  public void close() {}

  /** Sits between the two stock handlers for one event, then removes itself. */
  private static final class AttachPeerCredentials extends ChannelInboundHandlerAdapter {
    private final ChannelHandler next;

    AttachPeerCredentials(ChannelHandler next) {
      this.next = next;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof ProtocolNegotiationEvent pne) {
        Attributes attrs = InternalProtocolNegotiationEvent.getAttributes(pne);
        if (ctx.channel() instanceof EpollDomainSocketChannel ch) {
          try {
            PeerCredentials pc = ch.peerCredentials();
            attrs =
                attrs.toBuilder()
                    .set(UnixPeerCredentials.KEY, new UnixPeerCredentials(pc.pid(), pc.uid(), pc.gids().length > 0 ? pc.gids()[0] : -1))
                    .build();
          } catch (IOException e) {
            log.warn("cannot read SO_PEERCRED of a Unix-socket connection", e);
          }
        }
        ctx.pipeline().replace(this, null, next);
        ctx.fireUserEventTriggered(InternalProtocolNegotiationEvent.withAttributes(pne, attrs));
        return;
      }
      super.userEventTriggered(ctx, evt);
    }
  }
}
