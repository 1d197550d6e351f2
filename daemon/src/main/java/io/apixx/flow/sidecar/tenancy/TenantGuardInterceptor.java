package io.apixx.flow.sidecar.tenancy;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.apixx.flow.sidecar.audit.Actions;
import io.apixx.flow.sidecar.audit.AuditEvent;
import io.apixx.flow.sidecar.audit.AuditSink;
import io.apixx.flow.sidecar.auth.AuthContext;
import io.apixx.flow.sidecar.auth.Principal;
import io.apixx.flow.sidecar.error.SidecarException;
import io.apixx.flow.sidecar.server.CallContext;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The application's tenant wall (PostgreSQL Row Level Security is the second one). The tenant of a
 * call comes from its principal; a request whose {@code tenant_id} field names a tenant the
 * principal may not act on is refused with PERMISSION_DENIED before any service code runs, and the
 * attempt is audited.
 *
 * <p>Generic over messages: it looks for a top-level string field named {@code tenant_id} in the
 * request descriptor, so new RPCs are covered without registering them here.
 */
public final class TenantGuardInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(TenantGuardInterceptor.class);
  static final String FIELD = "tenant_id";

  private final AuditSink audit;
  private final Clock clock;

  public TenantGuardInterceptor(AuditSink audit, Clock clock) {
    this.audit = audit;
    this.clock = clock;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    Optional<Principal> principal = AuthContext.principal();
    if (principal.isEmpty()) {
      return next.startCall(call, headers);
    }
    ServerCall.Listener<Q> delegate = next.startCall(call, headers);
    return new SimpleForwardingServerCallListener<>(delegate) {
      private boolean refused;

      @Override
      public void onMessage(Q message) {
        String requested = requestedTenant(message);
        if (!requested.isEmpty() && !principal.get().mayActOn(requested)) {
          refused = true;
          record(principal.get(), requested, call.getMethodDescriptor().getFullMethodName());
          call.close(Status.PERMISSION_DENIED.withDescription("tenant_id: the caller may not act on that tenant"), new Metadata());
          return;
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (!refused) {
          super.onHalfClose();
        }
      }
    };
  }

  static String requestedTenant(Object message) {
    if (message instanceof Message m) {
      FieldDescriptor f = m.getDescriptorForType().findFieldByName(FIELD);
      if (f != null && f.getType() == FieldDescriptor.Type.STRING && !f.isRepeated()) {
        return (String) m.getField(f);
      }
    }
    return "";
  }

  private void record(Principal p, String requested, String method) {
    try {
      audit.record(
          new AuditEvent(
              requested,
              p.actor(),
              Actions.ACCESS_DENIED,
              "method/" + method,
              AuditEvent.Outcome.DENIED,
              "wrong_tenant",
              CallContext.requestId(),
              CallContext.peer(),
              clock.instant(),
              Map.of("caller_tenant", Tenancy.homeTenant(p).orElse("*"))));
    } catch (SidecarException e) {
      log.warn("could not audit a cross-tenant refusal on {}: {}", method, e.getMessage());
    }
  }
}
