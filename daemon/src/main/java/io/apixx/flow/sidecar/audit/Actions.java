package io.apixx.flow.sidecar.audit;

/** The action names of audit events. One place, so the collector and queries agree on them. */
public final class Actions {
  private Actions() {}

  public static final String CREDENTIAL_RELEASE = "credential.release";
  public static final String CREDENTIAL_SEAL = "credential.seal";
  public static final String CREDENTIAL_ROTATE = "credential.rotate";
  public static final String CREDENTIAL_REVOKE = "credential.revoke";
  public static final String CREDENTIAL_LIST = "credential.list";
  public static final String AUTH_LOGIN = "auth.login";
  public static final String AUTH_RUN_TOKEN = "auth.run_token";
  public static final String AUTH_OIDC = "auth.oidc";
  public static final String AUTH_MFA = "auth.mfa";
  public static final String MFA_ENROLL = "mfa.enroll";
  public static final String MFA_CONFIRM = "mfa.confirm";
  public static final String SESSION_REVOKE = "session.revoke";
  public static final String ACCESS_DENIED = "access.denied";
  public static final String CONFIG_RELOAD = "config.reload";
  public static final String SERVICE_ROLE_USE = "service_role.use";
  public static final String DAEMON_START = "daemon.start";
}
