"""An in-process IdGenerator server for what a real node cannot be made to do
on cue: answer UNAVAILABLE a given number of times, or hold calls open. It
counts calls and the most that were in flight at once."""

import threading
import time
from concurrent import futures

import grpc

from idgen_client._stubs import pb, pb_grpc


class FakeNode(pb_grpc.IdGeneratorServicer):
    """failures: how many NextIds/NextId calls to answer with `code` before
    answering normally (-1: always). delay: seconds each call is held."""

    def __init__(self, failures=0, code=grpc.StatusCode.UNAVAILABLE, delay=0.0):
        self.failures = failures
        self.code = code
        self.delay = delay
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._next = 1
        self._lock = threading.Lock()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        pb_grpc.add_IdGeneratorServicer_to_server(self, self._server)
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self.address = f"127.0.0.1:{self.port}"

    def start(self):
        self._server.start()
        return self

    def stop(self):
        self._server.stop(grace=None).wait(5)

    def _enter(self, context):
        with self._lock:
            self.calls += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            fail = self.failures != 0
            if self.failures > 0:
                self.failures -= 1
        try:
            if self.delay:
                time.sleep(self.delay)
            if fail:
                context.abort(self.code, "fake node says no")
        finally:
            with self._lock:
                self.in_flight -= 1

    def _ids(self, n):
        with self._lock:
            first, self._next = self._next, self._next + n
        return list(range(first, first + n))

    def NextIds(self, request, context):  # noqa: N802 - gRPC's name
        self._enter(context)
        return pb.NextIdsResponse(namespace=request.namespace, ids=self._ids(request.count),
                                  scheme="snowflake")

    def NextId(self, request, context):  # noqa: N802 - gRPC's name
        self._enter(context)
        return pb.NextIdResponse(namespace=request.namespace, id=self._ids(1)[0],
                                 scheme="snowflake")
