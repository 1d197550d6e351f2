module github.com/apixx/flow-sidecar/client-stubs/go

// The floor is what the stubs are tested with: Debian 12's Go 1.19, grpc-go 1.33 and
// google.golang.org/protobuf 1.28 (GOPATH mode, see README). Newer versions are selected as usual.
go 1.19

require (
	google.golang.org/grpc v1.33.3
	google.golang.org/protobuf v1.28.1
)

require github.com/golang/protobuf v1.5.2 // indirect
