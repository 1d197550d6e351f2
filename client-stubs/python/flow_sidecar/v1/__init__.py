"""Generated from proto/src/main/proto/apixx/flow/sidecar/v1 by tools/stubs/generate.sh. DO NOT EDIT."""
