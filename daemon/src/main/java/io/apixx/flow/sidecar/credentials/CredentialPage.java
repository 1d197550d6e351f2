package io.apixx.flow.sidecar.credentials;

import java.util.List;
import java.util.Objects;

/**
 * One page of {@link CredentialService#list}.
 *
 * @param credentials metadata ordered by connector id
 * @param nextPageToken the opaque token of the next page; empty on the last page
 */
public record CredentialPage(List<CredentialMetadata> credentials, String nextPageToken) {
  public CredentialPage {
    credentials = List.copyOf(credentials);
    Objects.requireNonNull(nextPageToken, "nextPageToken");
  }
}
