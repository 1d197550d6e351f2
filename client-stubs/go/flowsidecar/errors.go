package flowsidecar

import (
	"errors"
	"strconv"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// RetryAfterTrailer is the trailer on RESOURCE_EXHAUSTED answers that says how long to wait
// before retrying, in milliseconds.
const RetryAfterTrailer = "retry-after-ms"

// Sentinel errors, one per status code the daemon documents. Every error returned by Client
// methods for a failed call is an *Error that wraps one of these (or none, for other codes), so
// callers test with errors.Is(err, flowsidecar.ErrPermissionDenied).
var (
	// ErrUnauthenticated: missing, malformed, expired, revoked or replayed bearer token.
	ErrUnauthenticated = errors.New("flowsidecar: unauthenticated")
	// ErrPermissionDenied: wrong tenant or role, or a connector outside the run's scope.
	ErrPermissionDenied = errors.New("flowsidecar: permission denied")
	// ErrNotFound: no such connector or credential.
	ErrNotFound = errors.New("flowsidecar: not found")
	// ErrAlreadyExists: the entity exists already.
	ErrAlreadyExists = errors.New("flowsidecar: already exists")
	// ErrResourceExhausted: a rate limit or throttle; see Error.RetryAfter.
	ErrResourceExhausted = errors.New("flowsidecar: resource exhausted")
	// ErrUnavailable: the daemon or a dependency is down (nothing was released); retry with backoff.
	ErrUnavailable = errors.New("flowsidecar: unavailable")
	// ErrInvalidArgument: a malformed request; the message names the field.
	ErrInvalidArgument = errors.New("flowsidecar: invalid argument")
	// ErrFailedPrecondition: the state forbids the request (revoked credential, data residency).
	ErrFailedPrecondition = errors.New("flowsidecar: failed precondition")
	// ErrUnimplemented: the capability is not part of this daemon build.
	ErrUnimplemented = errors.New("flowsidecar: unimplemented")
)

var sentinels = map[codes.Code]error{
	codes.Unauthenticated:    ErrUnauthenticated,
	codes.PermissionDenied:   ErrPermissionDenied,
	codes.NotFound:           ErrNotFound,
	codes.AlreadyExists:      ErrAlreadyExists,
	codes.ResourceExhausted:  ErrResourceExhausted,
	codes.Unavailable:        ErrUnavailable,
	codes.InvalidArgument:    ErrInvalidArgument,
	codes.FailedPrecondition: ErrFailedPrecondition,
	codes.Unimplemented:      ErrUnimplemented,
}

// Error is a failed call: the gRPC status code, the daemon's description (which names fields and
// reasons, never secret values) and, for RESOURCE_EXHAUSTED, the suggested wait.
type Error struct {
	Code    codes.Code
	Message string
	// RetryAfter is the daemon's suggested wait from the retry-after-ms trailer; 0 when absent.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Message == "" {
		return "flowsidecar: " + e.Code.String()
	}
	return "flowsidecar: " + e.Code.String() + ": " + e.Message
}

// Unwrap returns the sentinel for the code (nil for codes without one), for errors.Is.
func (e *Error) Unwrap() error { return sentinels[e.Code] }

// GRPCStatus lets status.FromError and status.Code see the original status.
func (e *Error) GRPCStatus() *status.Status { return status.New(e.Code, e.Message) }

// mapError turns a gRPC error into an *Error; nil stays nil. trailer is the call's trailer
// metadata (may be nil).
func mapError(err error, trailer metadata.MD) error {
	if err == nil {
		return nil
	}
	s, ok := status.FromError(err)
	if !ok {
		return err
	}
	e := &Error{Code: s.Code(), Message: s.Message()}
	if s.Code() == codes.ResourceExhausted {
		if v := trailer.Get(RetryAfterTrailer); len(v) > 0 {
			if ms, perr := strconv.ParseInt(v[0], 10, 64); perr == nil && ms >= 0 {
				e.RetryAfter = time.Duration(ms) * time.Millisecond
			}
		}
	}
	return e
}
