"""Unit tests of the status-code mapping (no daemon needed): python3 -m unittest discover -s tests"""

import sys
import unittest
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flow_sidecar import Client, FlowSidecarError, PermissionDenied, ResourceExhausted, Unavailable  # noqa: E402
from flow_sidecar.errors import from_rpc_error  # noqa: E402


class FakeRpcError(grpc.RpcError):
    """What a failed unary call raises: an RpcError that is also a grpc.Call."""

    def __init__(self, code, details="", trailers=()):
        self._code, self._details, self._trailers = code, details, trailers

    def code(self):
        return self._code

    def details(self):
        return self._details

    def trailing_metadata(self):
        return self._trailers


class FromRpcErrorTest(unittest.TestCase):
    def test_permissionDenied_mapsToItsClassWithCodeAndDetails(self):
        e = from_rpc_error(FakeRpcError(grpc.StatusCode.PERMISSION_DENIED, "connector outside the run's scope"))
        self.assertIsInstance(e, PermissionDenied)
        self.assertEqual(e.code, grpc.StatusCode.PERMISSION_DENIED)
        self.assertEqual(str(e), "PERMISSION_DENIED: connector outside the run's scope")

    def test_resourceExhaustedWithTrailer_retryAfterInSeconds(self):
        e = from_rpc_error(FakeRpcError(grpc.StatusCode.RESOURCE_EXHAUSTED, "slow down", (("retry-after-ms", "1500"),)))
        self.assertIsInstance(e, ResourceExhausted)
        self.assertEqual(e.retry_after, 1.5)

    def test_resourceExhaustedWithoutTrailer_retryAfterNone(self):
        e = from_rpc_error(FakeRpcError(grpc.StatusCode.RESOURCE_EXHAUSTED, "slow down"))
        self.assertIsNone(e.retry_after)

    def test_unmappedCode_baseClass(self):
        e = from_rpc_error(FakeRpcError(grpc.StatusCode.INTERNAL, "boom"))
        self.assertIs(type(e), FlowSidecarError)


class ClientTest(unittest.TestCase):
    def test_health_noDaemon_raisesUnavailable(self):
        with Client.unix("/nonexistent/sidecar.sock", timeout=2) as c:
            with self.assertRaises(Unavailable):
                c.health()

    def test_callMetadata_bearerOnlyWithToken_reprHidesToken(self):
        with Client.tcp("127.0.0.1", 1) as c:
            self.assertEqual(c.call_metadata(), ())
            view = c.with_token("fss_secret")
            self.assertEqual(view.call_metadata(), (("authorization", "Bearer fss_secret"),))
            self.assertNotIn("fss_secret", repr(view))


if __name__ == "__main__":
    unittest.main()
