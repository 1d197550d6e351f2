package io.apixx.flow.sidecar.testing;

import io.apixx.flow.sidecar.crypto.kms.DataKey;
import io.apixx.flow.sidecar.crypto.kms.Kms;
import io.apixx.flow.sidecar.crypto.kms.WrappedKey;
import io.apixx.flow.sidecar.secret.SecretBytes;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real KMS that a test can take down: while down, every call goes to a closed instance of the
 * same backend, which fails exactly as an unreachable KMS does ({@code KmsException},
 * UNAVAILABLE). Counts the calls that reached the live backend.
 */
public final class SwitchableKms implements Kms {
  private final Kms live;
  private final Kms closed;
  private final AtomicLong calls = new AtomicLong();
  private volatile boolean down;

  /** @param closed a closed instance of the same kind of backend */
  public SwitchableKms(Kms live, Kms closed) {
    this.live = live;
    this.closed = closed;
  }

  public void down(boolean down) {
    this.down = down;
  }

  public long calls() {
    return calls.get();
  }

  private Kms target() {
    calls.incrementAndGet();
    return down ? closed : live;
  }

  @Override
  public DataKey generateDataKey(String tenantId) {
    return target().generateDataKey(tenantId);
  }

  @Override
  public SecretBytes unwrap(String tenantId, byte[] wrapped) {
    return target().unwrap(tenantId, wrapped);
  }

  @Override
  public WrappedKey wrap(String tenantId, SecretBytes dek) {
    return target().wrap(tenantId, dek);
  }

  @Override
  public WrappedKey rewrap(String tenantId, byte[] wrapped) {
    return target().rewrap(tenantId, wrapped);
  }

  @Override
  public void close() {
    live.close();
  }
}
