package io.apixx.flow.sidecar.api;

import io.apixx.flow.sidecar.auth.Access;
import io.apixx.flow.sidecar.v1.AuditIngestServiceGrpc;
import io.apixx.flow.sidecar.v1.CredentialServiceGrpc;
import io.apixx.flow.sidecar.v1.IdentityServiceGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.health.v1.HealthGrpc;
import java.util.HashMap;
import java.util.Map;

/**
 * Who may call what: the {@link Access} rule of every method the daemon serves, in one table. A
 * method missing here is refused by the authentication interceptor (and a test checks that every
 * registered method is listed).
 */
public final class AccessRules {
  private AccessRules() {}

  public static Map<String, Access> all() {
    Map<String, Access> m = new HashMap<>();
    put(m, HealthGrpc.getCheckMethod(), Access.PUBLIC);
    put(m, HealthGrpc.getWatchMethod(), Access.PUBLIC);
    m.put("grpc.reflection.v1.ServerReflection/ServerReflectionInfo", Access.PUBLIC);
    m.put("grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", Access.PUBLIC);

    put(m, IdentityServiceGrpc.getExchangeRunTokenMethod(), Access.RUN_TOKEN);
    put(m, IdentityServiceGrpc.getLoginMethod(), Access.PRE_AUTH);
    put(m, IdentityServiceGrpc.getExchangeOidcTokenMethod(), Access.PRE_AUTH);
    put(m, IdentityServiceGrpc.getVerifyMfaMethod(), Access.MFA_CHALLENGE);
    put(m, IdentityServiceGrpc.getValidateSessionMethod(), Access.SESSION);
    put(m, IdentityServiceGrpc.getLogoutMethod(), Access.SESSION);
    put(m, IdentityServiceGrpc.getEnrollTotpMethod(), Access.USER_SESSION);
    put(m, IdentityServiceGrpc.getConfirmTotpMethod(), Access.USER_SESSION);
    put(m, IdentityServiceGrpc.getWhoAmIMethod(), Access.AUTHENTICATED);

    put(m, CredentialServiceGrpc.getGetCredentialMethod(), Access.RUN_SESSION);
    put(m, CredentialServiceGrpc.getRedactMethod(), Access.RUN_SESSION);
    put(m, CredentialServiceGrpc.getListCredentialsMethod(), Access.AUTHENTICATED);
    put(m, CredentialServiceGrpc.getSealCredentialMethod(), Access.ADMIN);
    put(m, CredentialServiceGrpc.getRotateCredentialMethod(), Access.ADMIN);
    put(m, CredentialServiceGrpc.getRevokeCredentialMethod(), Access.ADMIN);

    // On a daemon these answer UNIMPLEMENTED; the collector authenticates its own callers (mTLS).
    put(m, AuditIngestServiceGrpc.getStreamMethod(), Access.SERVICE);
    put(m, AuditIngestServiceGrpc.getQueryMethod(), Access.SERVICE);
    return Map.copyOf(m);
  }

  private static void put(Map<String, Access> m, MethodDescriptor<?, ?> method, Access access) {
    m.put(method.getFullMethodName(), access);
  }
}
