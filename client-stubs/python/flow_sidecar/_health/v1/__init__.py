"""Generated from grpc-proto grpc/health/v1/health.proto by tools/stubs/generate.sh. DO NOT EDIT."""
