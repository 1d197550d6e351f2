package io.apixx.flow.sidecar.audit.collector;

import com.google.protobuf.util.Timestamps;
import io.apixx.flow.sidecar.audit.AuditRecords;
import io.apixx.flow.sidecar.v1.AuditEvent;
import io.apixx.flow.sidecar.v1.Outcome;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * What the collector requires of an event before it stores anything of a batch. Only what would
 * make a record unusable as evidence is refused (a bad id, a hash that does not match, a missing
 * required field, a value PostgreSQL cannot store): a refused batch is resent by its daemon until
 * it is accepted, so a rule here that a real daemon could trip would stall that daemon's trail.
 *
 * <p>Messages name the field and the event (by id, or by sequence when the id itself is bad),
 * never a field's value.
 */
final class EventCheck {
  /** Daemon instance names: the daemon's {@code instance_id}, e.g. {@code pod-name-1234}. */
  static final Pattern INSTANCE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  private EventCheck() {}

  /** Checks the stream's instance name. */
  static void instance(String instance) {
    if (instance == null || !INSTANCE.matcher(instance).matches()) {
      throw CollectorException.invalid("daemon_instance: expected 1..128 characters of [A-Za-z0-9._:-]");
    }
  }

  /**
   * Checks every event of a batch (already sorted by sequence) of {@code instance}.
   *
   * @throws CollectorException INVALID_ARGUMENT naming the first bad event and field
   */
  static void batch(String instance, List<AuditEvent> sorted) {
    Set<UUID> ids = new HashSet<>();
    long previous = 0;
    for (AuditEvent e : sorted) {
      UUID id = event(instance, e);
      String where = " (event " + id + ")";
      if (e.getSequence() == previous) {
        throw CollectorException.invalid("sequence: appears twice in the batch" + where);
      }
      if (!ids.add(id)) {
        throw CollectorException.invalid("event_id: appears twice in the batch" + where);
      }
      previous = e.getSequence();
    }
  }

  /** Checks one event; returns its id. */
  static UUID event(String instance, AuditEvent e) {
    UUID id = parseId(e);
    String where = " (event " + id + ")";
    if (!instance.equals(e.getDaemonInstance())) {
      throw CollectorException.invalid("daemon_instance: differs from the stream's" + where);
    }
    if (e.getSequence() <= 0) {
      throw CollectorException.invalid("sequence: must be positive" + where);
    }
    if (!e.hasTime() || !Timestamps.isValid(e.getTime())) {
      throw CollectorException.invalid("time: required" + where);
    }
    // UUIDv7 carries the event's millisecond: an id that disagrees with the time was not made by
    // a daemon (and the pair (id, time) is what the table deduplicates on).
    if (id.getMostSignificantBits() >>> 16 != AuditRecords.instant(e.getTime()).toEpochMilli()) {
      throw CollectorException.invalid("event_id: its timestamp differs from time" + where);
    }
    if (e.getAction().isEmpty()) {
      throw CollectorException.invalid("action: required" + where);
    }
    if (e.getOutcome() != Outcome.OUTCOME_SUCCESS && e.getOutcome() != Outcome.OUTCOME_DENIED && e.getOutcome() != Outcome.OUTCOME_FAILURE) {
      throw CollectorException.invalid("outcome: required" + where);
    }
    if (e.getRegion().isEmpty()) {
      throw CollectorException.invalid("region: required" + where);
    }
    noNul("tenant_id", e.getTenantId(), where);
    noNul("actor.id", e.getActor().getId(), where);
    noNul("action", e.getAction(), where);
    noNul("target", e.getTarget(), where);
    noNul("reason_code", e.getReasonCode(), where);
    noNul("request_id", e.getRequestId(), where);
    noNul("region", e.getRegion(), where);
    if (e.getPrevHash().size() != 32 || e.getHash().size() != 32) {
      throw CollectorException.invalid("hash: prev_hash and hash must be 32 bytes" + where);
    }
    if (!MessageDigest.isEqual(e.getHash().toByteArray(), AuditRecords.hashOf(e))) {
      throw CollectorException.invalid("hash: does not match the event's contents" + where);
    }
    return id;
  }

  private static UUID parseId(AuditEvent e) {
    String text = e.getEventId();
    UUID id;
    try {
      // UUID.fromString accepts shortened groups ("1-2-3-4-5"); only the canonical form is an id.
      if (text.length() != 36) {
        throw new IllegalArgumentException("not canonical");
      }
      id = UUID.fromString(text);
    } catch (IllegalArgumentException ex) {
      throw CollectorException.invalid("event_id: not a UUID (sequence " + e.getSequence() + ")");
    }
    if (id.version() != 7 || id.variant() != 2) {
      throw CollectorException.invalid("event_id: not a UUIDv7 (sequence " + e.getSequence() + ")");
    }
    return id;
  }

  /** PostgreSQL text cannot hold U+0000. */
  private static void noNul(String field, String value, String where) {
    if (value.indexOf('\0') >= 0) {
      throw CollectorException.invalid(field + ": contains a NUL character" + where);
    }
  }
}
