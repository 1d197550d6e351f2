package io.apixx.flow.sidecar.audit;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Timestamp;
import io.apixx.flow.sidecar.v1.Actor;
import io.apixx.flow.sidecar.v1.ActorKind;
import io.apixx.flow.sidecar.v1.Outcome;
import io.apixx.flow.sidecar.v1.Peer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;

/**
 * Converts {@link AuditEvent}s to the wire/storage form ({@code apixx.flow.sidecar.v1.AuditEvent})
 * and computes the hash chain.
 *
 * <p>Hash: SHA-256 over the deterministic protobuf serialization (map entries sorted by key) of
 * the event with its {@code hash} field cleared; {@code prev_hash} is included, which chains each
 * record to the one before it. The first record of an instance has 32 zero bytes as prev_hash.
 */
public final class AuditRecords {
  /** prev_hash of sequence 1. */
  public static final ByteString GENESIS = ByteString.copyFrom(new byte[32]);

  private AuditRecords() {}

  /** The stored record for {@code e}, without sequence and hashes (the spool adds them). */
  public static io.apixx.flow.sidecar.v1.AuditEvent.Builder toProto(AuditEvent e, String region, String instance) {
    return io.apixx.flow.sidecar.v1.AuditEvent.newBuilder()
        .setEventId(EventIds.newId(e.time()).toString())
        .setTenantId(e.tenantId())
        .setActor(Actor.newBuilder().setKind(kind(e.actor().kind())).setId(e.actor().id()).setSessionHash(e.actor().sessionHash()))
        .setAction(e.action())
        .setTarget(e.target())
        .setOutcome(outcome(e.outcome()))
        .setReasonCode(e.reasonCode())
        .setRequestId(e.requestId())
        .setPeer(
            Peer.newBuilder()
                .setTransport(e.peer().transport().label())
                .setIp(e.peer().ip())
                .setPid(e.peer().pid())
                .setUid(e.peer().uid()))
        .setTime(timestamp(e.time()))
        .setRegion(region)
        .setDaemonInstance(instance)
        .putAllAttributes(e.attributes());
  }

  /** Seals a record into the chain: sets sequence and prev_hash, then computes and sets hash. */
  public static io.apixx.flow.sidecar.v1.AuditEvent chain(
      io.apixx.flow.sidecar.v1.AuditEvent.Builder b, long sequence, ByteString prevHash) {
    b.setSequence(sequence).setPrevHash(prevHash).clearHash();
    return b.setHash(ByteString.copyFrom(digest(b.build()))).build();
  }

  /** A record sealed into the chain: its serialized form and its hash. */
  public record Sealed(byte[] bytes, ByteString hash) {}

  /**
   * {@link #chain}, serialized: the canonical bytes that were hashed followed by the {@code hash}
   * field. Protobuf parsers accept fields in any order, so this parses to exactly the event
   * {@link #chain} returns, without serializing it a second time.
   */
  public static Sealed seal(io.apixx.flow.sidecar.v1.AuditEvent.Builder b, long sequence, ByteString prevHash) {
    b.setSequence(sequence).setPrevHash(prevHash).clearHash();
    byte[] canonical = canonicalBytes(b.build());
    byte[] hash = sha256(canonical);
    int hashField = CodedOutputStream.computeByteArraySize(io.apixx.flow.sidecar.v1.AuditEvent.HASH_FIELD_NUMBER, hash);
    byte[] out = java.util.Arrays.copyOf(canonical, canonical.length + hashField);
    CodedOutputStream tail = CodedOutputStream.newInstance(out, canonical.length, hashField);
    try {
      tail.writeByteArray(io.apixx.flow.sidecar.v1.AuditEvent.HASH_FIELD_NUMBER, hash);
      tail.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serialize an audit event", e);
    }
    return new Sealed(out, ByteString.copyFrom(hash));
  }

  /** SHA-256 of the event's canonical bytes with {@code hash} cleared. */
  public static byte[] hashOf(io.apixx.flow.sidecar.v1.AuditEvent event) {
    return digest(event.getHash().isEmpty() ? event : event.toBuilder().clearHash().build());
  }

  /** SHA-256 of {@code unhashed}'s deterministic serialization (its hash field is empty). */
  private static byte[] digest(io.apixx.flow.sidecar.v1.AuditEvent unhashed) {
    return sha256(canonicalBytes(unhashed));
  }

  private static byte[] canonicalBytes(io.apixx.flow.sidecar.v1.AuditEvent unhashed) {
    byte[] canonical = new byte[unhashed.getSerializedSize()];
    CodedOutputStream out = CodedOutputStream.newInstance(canonical);
    out.useDeterministicSerialization();
    try {
      unhashed.writeTo(out);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serialize an audit event", e);
    }
    return canonical;
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  /** Whether {@code event.hash} is right and it follows {@code previousHash}. */
  public static boolean verifies(io.apixx.flow.sidecar.v1.AuditEvent event, ByteString previousHash) {
    return event.getPrevHash().equals(previousHash)
        && MessageDigest.isEqual(event.getHash().toByteArray(), hashOf(event));
  }

  public static Timestamp timestamp(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  public static Instant instant(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }

  private static ActorKind kind(AuditEvent.Kind k) {
    return switch (k) {
      case UNKNOWN -> ActorKind.ACTOR_KIND_UNSPECIFIED;
      case RUN -> ActorKind.ACTOR_KIND_RUN;
      case USER -> ActorKind.ACTOR_KIND_USER;
      case SERVICE -> ActorKind.ACTOR_KIND_SERVICE;
      case SYSTEM -> ActorKind.ACTOR_KIND_SYSTEM;
    };
  }

  private static Outcome outcome(AuditEvent.Outcome o) {
    return switch (o) {
      case SUCCESS -> Outcome.OUTCOME_SUCCESS;
      case DENIED -> Outcome.OUTCOME_DENIED;
      case FAILURE -> Outcome.OUTCOME_FAILURE;
    };
  }
}
