// Command smoke checks the Go client against a live daemon. It prints one line per check, then a
// summary, and exits 0 only if every check passed (1 if one failed, 2 for bad usage).
//
// Checks: grpc.health.v1 Check("") is SERVING on each given transport; the run token is exchanged
// for a run session; the credential of -connector is released on each transport with at least
// one non-empty field (only field NAMES are printed); -denied-connector answers PERMISSION_DENIED.
// With -health-only, only the health checks run and no token is needed.
//
// The run token comes from $FLOW_RUN_TOKEN (preferred: a command line is visible to other
// processes) or -token. Each token can be exchanged once.
//
//	FLOW_RUN_TOKEN=... smoke -unix /path/sidecar.sock -tcp 127.0.0.1:50051
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/apixx/flow-sidecar/client-stubs/go/flowsidecar"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

type transport struct {
	name   string
	client *flowsidecar.Client
}

type checks struct{ passed, failed int }

// run prints PASS with the detail, or FAIL with the error.
func (c *checks) run(name string, check func() (string, error)) {
	detail, err := check()
	if err != nil {
		fmt.Printf("FAIL %s: %v\n", name, err)
		c.failed++
		return
	}
	fmt.Printf("PASS %s: %s\n", name, detail)
	c.passed++
}

func main() {
	unixPath := flag.String("unix", "", "the daemon's Unix socket")
	tcpAddr := flag.String("tcp", "", "the daemon's loopback TCP address (host:port)")
	token := flag.String("token", "", "the run token (default: $FLOW_RUN_TOKEN)")
	healthOnly := flag.Bool("health-only", false, "only check health; no token needed")
	connector := flag.String("connector", "demo-github", "a connector the run token lists")
	denied := flag.String("denied-connector", "demo-other", "a connector the run token does not list")
	flag.Parse()

	if *unixPath == "" && *tcpAddr == "" {
		usage("give -unix and/or -tcp")
	}
	if *token == "" {
		*token = os.Getenv("FLOW_RUN_TOKEN")
	}
	if !*healthOnly && *token == "" {
		usage("no run token: set FLOW_RUN_TOKEN or pass -token (or use -health-only)")
	}

	var transports []transport
	if *unixPath != "" {
		transports = append(transports, transport{"unix", must(flowsidecar.DialUnix(*unixPath))})
	}
	if *tcpAddr != "" {
		transports = append(transports, transport{"tcp", must(flowsidecar.DialTCP(*tcpAddr))})
	}
	defer func() {
		for _, t := range transports {
			t.client.Close()
		}
	}()

	ctx := context.Background()
	var c checks
	for _, t := range transports {
		t := t
		c.run("health "+t.name, func() (string, error) {
			st, err := t.client.Health(ctx, "")
			if err != nil {
				return "", err
			}
			if st != healthpb.HealthCheckResponse_SERVING {
				return "", fmt.Errorf("status %v, want SERVING", st)
			}
			return st.String(), nil
		})
	}
	if !*healthOnly {
		smoke(ctx, &c, transports, *token, *connector, *denied)
	}

	fmt.Printf("go: %d passed, %d failed\n", c.passed, c.failed)
	if c.failed > 0 {
		os.Exit(1)
	}
}

func smoke(ctx context.Context, c *checks, transports []transport, runToken, connector, denied string) {
	primary := transports[0]
	var sessions []*flowsidecar.Client

	c.run("exchange run token "+primary.name, func() (string, error) {
		s, err := primary.client.ExchangeRunToken(ctx, runToken)
		if err != nil {
			return "", err
		}
		if !strings.HasPrefix(s.GetToken(), "fss_") {
			return "", errors.New("session token lacks the fss_ prefix")
		}
		for _, t := range transports {
			sessions = append(sessions, t.client.WithToken(s.GetToken()))
		}
		p := s.GetPrincipal()
		tenant := p.GetTenantId()
		if tenant == "" {
			tenant = "-"
		}
		return fmt.Sprintf("run session issued (principal %v, tenant %s)", p.GetKind(), tenant), nil
	})

	for i, t := range transports {
		i := i
		c.run("get credential "+connector+" "+t.name, func() (string, error) {
			if sessions == nil {
				return "", errors.New("no run session (the exchange failed)")
			}
			fields, err := sessions[i].GetCredential(ctx, connector)
			if err != nil {
				return "", err
			}
			names := make([]string, 0, len(fields))
			nonEmpty := false
			for name, value := range fields {
				names = append(names, name)
				nonEmpty = nonEmpty || value != ""
			}
			sort.Strings(names)
			if !nonEmpty {
				return "", fmt.Errorf("no non-empty secret field (names: %v)", names)
			}
			return "fields " + strings.Join(names, ", "), nil
		})
	}

	c.run("get credential "+denied+" "+primary.name, func() (string, error) {
		if sessions == nil {
			return "", errors.New("no run session (the exchange failed)")
		}
		_, err := sessions[0].GetCredential(ctx, denied)
		switch {
		case errors.Is(err, flowsidecar.ErrPermissionDenied):
			return "PERMISSION_DENIED", nil
		case err != nil:
			return "", fmt.Errorf("got %v, want PERMISSION_DENIED", err)
		default:
			return "", errors.New("credential released, want PERMISSION_DENIED")
		}
	})
}

func must(c *flowsidecar.Client, err error) *flowsidecar.Client {
	if err != nil {
		fmt.Fprintln(os.Stderr, "smoke:", err)
		os.Exit(2)
	}
	return c
}

func usage(msg string) {
	fmt.Fprintln(os.Stderr, "smoke:", msg)
	flag.Usage()
	os.Exit(2)
}
