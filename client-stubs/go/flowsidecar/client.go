// Package flowsidecar is a thin client for the Flow Sidecar daemon over its Unix socket or
// loopback TCP listener.
//
// The transport is plaintext gRPC: both listeners are pod-local (a socket in a shared emptyDir, or
// 127.0.0.1). Callers authenticate with an "authorization: Bearer <token>" metadata entry, which
// the client attaches as per-RPC credentials that do not require transport security.
//
//	c, err := flowsidecar.DialUnix(flowsidecar.DefaultSocket)
//	if err != nil { ... }
//	defer c.Close()
//	session, err := c.ExchangeRunToken(ctx, os.Getenv("FLOW_RUN_TOKEN"))
//	fields, err := c.WithToken(session.GetToken()).GetCredential(ctx, "github-main")
//
// Failed calls return an *Error wrapping a sentinel (errors.Is(err, ErrPermissionDenied)). The
// generated stubs in package flowsidecarv1 cover every other RPC: create them on Conn() and pass
// CallOptions(). A Client is safe for concurrent use; one per process is enough.
//
// It builds against grpc-go 1.33 (Debian 12) and later, which is why it dials with
// grpc.WithInsecure (the credentials/insecure package arrived in 1.34) and a custom dialer for
// the socket (the unix:// resolver arrived in 1.34 as well).
package flowsidecar

import (
	"context"
	"errors"
	"net"
	"time"

	pb "github.com/apixx/flow-sidecar/client-stubs/go/flowsidecarv1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
)

// DefaultSocket is where the daemon's Unix socket is in Kubernetes (the Helm chart's emptyDir).
const DefaultSocket = "/run/flow-sidecar/sidecar.sock"

// DefaultTimeout bounds a call whose context has no deadline.
const DefaultTimeout = 10 * time.Second

// ErrNoToken is returned by calls that need a session token on a client without one.
var ErrNoToken = errors.New("flowsidecar: no bearer token (use WithToken)")

// Client is a connection to one daemon, optionally with a bearer token for every call.
type Client struct {
	conn        *grpc.ClientConn
	owner       bool
	token       string
	identity    pb.IdentityServiceClient
	credentials pb.CredentialServiceClient
	health      healthpb.HealthClient
}

// DialUnix connects to the daemon's Unix domain socket. Like grpc.Dial, it does not wait for the
// connection; the first call does. Extra options are appended (for example interceptors).
func DialUnix(path string, opts ...grpc.DialOption) (*Client, error) {
	dialer := func(ctx context.Context, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}
	// passthrough: the dialer ignores the address; "localhost" is the :authority the daemon sees.
	return dial("passthrough:///localhost", append([]grpc.DialOption{grpc.WithContextDialer(dialer)}, opts...))
}

// DialTCP connects to the daemon's loopback TCP listener, addr being "host:port".
func DialTCP(addr string, opts ...grpc.DialOption) (*Client, error) {
	return dial("passthrough:///"+addr, opts)
}

func dial(target string, opts []grpc.DialOption) (*Client, error) {
	//lint:ignore SA1019 grpc-go 1.33 (Debian 12) has no credentials/insecure package.
	conn, err := grpc.Dial(target, append([]grpc.DialOption{grpc.WithInsecure()}, opts...)...)
	if err != nil {
		return nil, err
	}
	return newClient(conn, "", true), nil
}

func newClient(conn *grpc.ClientConn, token string, owner bool) *Client {
	return &Client{
		conn:        conn,
		owner:       owner,
		token:       token,
		identity:    pb.NewIdentityServiceClient(conn),
		credentials: pb.NewCredentialServiceClient(conn),
		health:      healthpb.NewHealthClient(conn),
	}
}

// WithToken returns a view of c that sends token as the bearer token. It shares the connection:
// closing the view does nothing, closing c closes both.
func (c *Client) WithToken(token string) *Client {
	return newClient(c.conn, token, false)
}

// Conn is the underlying connection, for the generated stubs.
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// CallOptions are the options this client adds to a call: its bearer token, if it has one.
func (c *Client) CallOptions() []grpc.CallOption {
	if c.token == "" {
		return nil
	}
	return []grpc.CallOption{grpc.PerRPCCredentials(bearer(c.token))}
}

// Close closes the connection if this client opened it (views from WithToken do not).
func (c *Client) Close() error {
	if !c.owner {
		return nil
	}
	return c.conn.Close()
}

// Health runs grpc.health.v1 Check for service ("" is the whole daemon). Needs no token.
func (c *Client) Health(ctx context.Context, service string) (healthpb.HealthCheckResponse_ServingStatus, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	var trailer metadata.MD
	resp, err := c.health.Check(ctx, &healthpb.HealthCheckRequest{Service: service}, grpc.Trailer(&trailer))
	if err != nil {
		return healthpb.HealthCheckResponse_UNKNOWN, mapError(err, trailer)
	}
	return resp.GetStatus(), nil
}

// ExchangeRunToken trades a run token (sent as the bearer, whatever c's own token is) for a run
// session. Each run token is accepted once. The session's Token (prefix "fss_") is the bearer for
// later calls: c.WithToken(session.GetToken()). Treat it like a password.
// Returns ErrUnauthenticated for an invalid, expired or already-used run token.
func (c *Client) ExchangeRunToken(ctx context.Context, runToken string) (*pb.Session, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	var trailer metadata.MD
	resp, err := c.identity.ExchangeRunToken(ctx, &pb.ExchangeRunTokenRequest{},
		grpc.PerRPCCredentials(bearer(runToken)), grpc.Trailer(&trailer))
	if err != nil {
		return nil, mapError(err, trailer)
	}
	return resp.GetSession(), nil
}

// GetCredential fetches the decrypted secret fields of a connector's credential, by name. Needs
// a run session token whose run token lists the connector. Returns ErrPermissionDenied for a
// connector outside the run's scope, ErrNotFound when it has no credential, ErrFailedPrecondition
// when it is revoked or residency forbids the release, ErrUnavailable when the daemon cannot
// decrypt or audit now. The values are secrets: never log them.
func (c *Client) GetCredential(ctx context.Context, connectorID string) (map[string]string, error) {
	if c.token == "" {
		return nil, ErrNoToken
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	var trailer metadata.MD
	opts := append(c.CallOptions(), grpc.Trailer(&trailer))
	resp, err := c.credentials.GetCredential(ctx, &pb.GetCredentialRequest{ConnectorId: connectorID}, opts...)
	if err != nil {
		return nil, mapError(err, trailer)
	}
	return resp.GetSecretFields(), nil
}

func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, DefaultTimeout)
}

// bearer is per-RPC credentials carrying a bearer token. It does not require transport security,
// because the daemon's listeners are pod-local and plaintext.
type bearer string

var _ credentials.PerRPCCredentials = bearer("")

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return false }
