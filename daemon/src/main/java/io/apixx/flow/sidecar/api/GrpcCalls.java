package io.apixx.flow.sidecar.api;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** Completes unary calls, routing every failure through {@link StatusMapper}. */
final class GrpcCalls {
  private GrpcCalls() {}

  /** Runs {@code body} on the calling (worker) thread and answers with its result or error. */
  static <T> void unary(StreamObserver<T> observer, Supplier<T> body) {
    T response;
    try {
      response = body.get();
    } catch (Throwable t) {
      observer.onError(StatusMapper.toStatusException(t));
      return;
    }
    observer.onNext(response);
    observer.onCompleted();
  }

  /**
   * Answers when {@code stage} completes, from whatever thread completes it. Used where the work
   * runs on a dedicated bounded executor (password hashing) so the worker thread is not held.
   */
  static <T> void async(StreamObserver<T> observer, Supplier<CompletionStage<T>> body) {
    CompletionStage<T> stage;
    try {
      stage = body.get();
    } catch (Throwable t) {
      observer.onError(StatusMapper.toStatusException(t));
      return;
    }
    stage.whenComplete(
        (response, error) -> {
          if (observer instanceof ServerCallStreamObserver<T> sco && sco.isCancelled()) {
            return;
          }
          if (error != null) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            observer.onError(StatusMapper.toStatusException(cause));
          } else {
            observer.onNext(response);
            observer.onCompleted();
          }
        });
  }
}
