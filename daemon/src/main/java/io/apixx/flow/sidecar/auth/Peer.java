package io.apixx.flow.sidecar.auth;

/**
 * Where a call came from, as the transport reports it (never from request data).
 *
 * @param transport the listener the call arrived on
 * @param ip the remote IP for TCP; empty otherwise
 * @param pid the peer process id from SO_PEERCRED for the Unix socket; 0 when unknown
 * @param uid the peer user id from SO_PEERCRED for the Unix socket; -1 when unknown
 */
public record Peer(Transport transport, String ip, int pid, int uid) {

  /** The listener kinds. */
  public enum Transport {
    UNIX("unix"),
    TCP("tcp"),
    /** In-process calls (tests and the embedded collector). */
    IN_PROCESS("inprocess");

    private final String label;

    Transport(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  public static Peer tcp(String ip) {
    return new Peer(Transport.TCP, ip, 0, -1);
  }

  public static Peer unix(int pid, int uid) {
    return new Peer(Transport.UNIX, "", pid, uid);
  }

  public static Peer inProcess() {
    return new Peer(Transport.IN_PROCESS, "", 0, -1);
  }
}
