package flowsidecar

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func TestMapError_permissionDenied_isSentinelAndKeepsStatus(t *testing.T) {
	err := mapError(status.Error(codes.PermissionDenied, "connector outside the run's scope"), nil)
	if !errors.Is(err, ErrPermissionDenied) {
		t.Fatalf("errors.Is(%v, ErrPermissionDenied) = false", err)
	}
	if errors.Is(err, ErrNotFound) {
		t.Fatalf("errors.Is(%v, ErrNotFound) = true", err)
	}
	if got := status.Code(err); got != codes.PermissionDenied {
		t.Fatalf("status.Code = %v, want PermissionDenied", got)
	}
}

func TestMapError_resourceExhaustedWithTrailer_retryAfterInMilliseconds(t *testing.T) {
	md := metadata.Pairs(RetryAfterTrailer, "1500")
	err := mapError(status.Error(codes.ResourceExhausted, "rate limited"), md)
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrResourceExhausted) {
		t.Fatalf("got %v, want *Error wrapping ErrResourceExhausted", err)
	}
	if e.RetryAfter != 1500*time.Millisecond {
		t.Fatalf("RetryAfter = %v, want 1.5s", e.RetryAfter)
	}
}

func TestMapError_unmappedCode_noSentinel(t *testing.T) {
	err := mapError(status.Error(codes.Internal, "boom"), nil)
	for _, s := range sentinels {
		if errors.Is(err, s) {
			t.Fatalf("errors.Is(%v, %v) = true", err, s)
		}
	}
	if mapError(nil, nil) != nil {
		t.Fatal("mapError(nil) != nil")
	}
}

func TestBearer_metadataAndNoTransportSecurity(t *testing.T) {
	md, err := bearer("tok").GetRequestMetadata(context.Background())
	if err != nil || md["authorization"] != "Bearer tok" {
		t.Fatalf("metadata = %v, %v", md, err)
	}
	if bearer("tok").RequireTransportSecurity() {
		t.Fatal("RequireTransportSecurity() = true; the pod-local transport is plaintext")
	}
}

func TestGetCredential_withoutToken_errNoToken(t *testing.T) {
	c, err := DialUnix("/nonexistent/sidecar.sock")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.GetCredential(context.Background(), "x"); !errors.Is(err, ErrNoToken) {
		t.Fatalf("err = %v, want ErrNoToken", err)
	}
}
