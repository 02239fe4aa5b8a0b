"""Finds the stubs that the build generates from proto/ (never checked in).

The build writes them to ``build/clients/python/gen`` (``idgen/v1/idgen_pb2.py``
and ``idgen_pb2_grpc.py``). They are found, in this order: already importable
(that directory on ``PYTHONPATH``), the directory named by the environment
variable ``IDGEN_PYTHON_GEN``, or ``build/clients/python/gen`` of the source
tree this package sits in.
"""

import os
import sys


def _load():
    try:
        from idgen.v1 import idgen_pb2, idgen_pb2_grpc  # noqa: F401

        return idgen_pb2, idgen_pb2_grpc
    except ImportError:
        pass
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [
        os.environ.get("IDGEN_PYTHON_GEN", ""),
        os.path.join(here, "..", "..", "..", "build", "clients", "python", "gen"),
    ]
    for gen in candidates:
        if gen and os.path.isfile(os.path.join(gen, "idgen", "v1", "idgen_pb2.py")):
            sys.path.insert(0, os.path.abspath(gen))
            from idgen.v1 import idgen_pb2, idgen_pb2_grpc  # noqa: F811

            return idgen_pb2, idgen_pb2_grpc
    raise ImportError(
        "idgen_client: generated stubs not found; build them "
        "(scripts/build.sh --target idgen_python_stubs) and put "
        "build/clients/python/gen on PYTHONPATH or in IDGEN_PYTHON_GEN"
    )


pb, pb_grpc = _load()
