"""The exported ONNX model on OpenVINO's bfloat16 kernels: an ingest's bulk embedding.

An ingest embeds every chunk and every sentence (about twice the tokens of a plain recipe),
and the matrix products, 78 % of the time, already run near the CPU's fp32 peak on
onnxruntime. A CPU with native bf16 (AVX-512 BF16, AMX) computes them twice as fast, but
onnxruntime has no bf16 kernels for x86; OpenVINO runs the same verified `model.onnx` with
them. Measured on knowledge/: 1.5 s against onnxruntime's 2.8 s for the same 21k tokens,
vectors at cosine >= 0.99997 to fp32 (int8 gave 0.993 and changed one answer in five; bf16
changed four of 464 probe answers, none of the dev sets' verdicts, key points or citations).

Queries stay on onnxruntime (`ingest.onnx_embedder`): one short text needs no bulk speed, and
a cold `ask` imports and compiles nothing more.
"""

import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.onnx_embedder import Consume, Feed


@lru_cache(maxsize=1)
def bf16_supported() -> bool:
    """Whether OpenVINO is installed and this CPU computes bf16 natively."""
    try:
        import openvino
    except ImportError:
        return False
    return "BF16" in openvino.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


class OpenVinoRunner:
    """One compiled model per thread count, each running as many batches at once as threads."""

    def __init__(self, model_file: Path) -> None:
        import openvino

        self._openvino = openvino
        self._core = openvino.Core()
        self._model_file = model_file  # read per compile: the fp32 graph is not kept in memory
        self._compiled: dict[int, Any] = {}
        self._lock = threading.Lock()

    def _compiled_for(self, threads: int) -> Any:
        with self._lock:
            if threads not in self._compiled:
                self._compiled[threads] = self._core.compile_model(
                    str(self._model_file),
                    "CPU",
                    {
                        "INFERENCE_PRECISION_HINT": "bf16",
                        "PERFORMANCE_HINT": "THROUGHPUT",
                        "NUM_STREAMS": threads,
                        "INFERENCE_NUM_THREADS": threads,
                        # Threads are not pinned to cores: the bot shares them with its requests.
                        "ENABLE_CPU_PINNING": False,
                    },
                )
            return self._compiled[threads]

    def run(self, feeds: Sequence[Feed], threads: int, consume: Consume) -> None:
        threads = max(1, threads)
        queue = self._openvino.AsyncInferQueue(self._compiled_for(threads), threads)
        errors: list[BaseException] = []

        def done(request: Any, index: int) -> None:
            try:
                consume(index, request.get_output_tensor(0).data)
            except BaseException as error:  # raised again below, in the caller's thread
                errors.append(error)

        queue.set_callback(done)
        for index, feed in enumerate(feeds):
            queue.start_async(feed, userdata=index)
        queue.wait_all()
        if errors:
            raise errors[0]
