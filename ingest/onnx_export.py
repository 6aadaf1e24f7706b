"""Export the bundled sentence-transformers model to ONNX once, verify it, keep its checksum.

The exporter is torch's own (`torch.onnx.export(dynamo=True)`, through `torch.export` and
onnxscript) with the sequence and batch axes declared dynamic. A legacy trace of this model
bakes shapes seen at trace time into the graph and gives vectors at cosine ~0.93 to torch's;
optimum would do the export well but pins a transformers older than sentence-transformers 6
needs. So every export is checked before it is kept: probe texts of many lengths, embedded
alone and in padded batches, must come out at cosine >= 0.999 to sentence-transformers
(>= 0.98 for int8), else the export fails and nothing is written.

The int8 variant is onnxruntime's dynamic quantization of the fp32 export: per-channel int8
weights of the matrix products with constant weights. The feed-forward down-projections
(whose inputs are GELU outputs, with outliers that per-tensor activation scales cannot hold)
stay fp32: quantizing them too drops the worst cosine to ~0.97.

Layout of `<models dir>/<model>-<variant>/`: `model.onnx`, `tokenizer.json` and
`export.json` (`ExportManifest`: the source, the checksum, the parity measured). A folder is
written under another name and renamed when complete, under a lock, so two processes that
both need the model export it once and never read half a file.
"""

import fcntl
import hashlib
import json
import logging
import re
import shutil
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel

log = logging.getLogger("ingest")

FP32_MIN_COSINE = 0.999
INT8_MIN_COSINE = 0.98
OPSET = 18
_EXPORTER_LOGGERS = ("torch.onnx", "torch.export", "onnxscript", "onnx_ir", "onnxruntime")
SOURCE_WEIGHTS = ("model.safetensors", "pytorch_model.bin")
# Probes of every length the model reads, up to past its truncation limit, batched together
# (so padding is exercised) and alone.
PROBES = (
    "hi",
    "Should we fine-tune a model or use prompt engineering for our support bot?",
    "Prompt engineering shapes the input; fine-tuning changes the weights of the model.",
    "Fine-tuning needs labelled examples, compute and an evaluation set; it pays off when the "
    "task is narrow, the volume is high and the prompt alone cannot hold the domain's style.",
    "RAG retrieves documents at query time. LoRA trains low-rank adapters. Few-shot prompts "
    "show the model examples. Each has a cost: latency, training time, or context length.",
    " ".join(["Long inputs are cut at the model's limit of 256 tokens, padding included."] * 30),
    "Ünïcödé, emoji 🚀, code `x = f(y)`, numbers 3.14 and 1,000,000: all tokenized alike.",
)


class ModelExportError(RuntimeError):
    """The model could not be exported to ONNX, or the export does not match torch."""


class ModelIntegrityError(RuntimeError):
    """An exported model file does not match its recorded checksum."""


class ExportManifest(BaseModel):
    """`export.json`: where an exported model came from and what was checked."""

    model: str
    variant: str  # fp32 | int8
    source: dict[str, list[int]]  # weight file -> [size, mtime_ns]: re-export when it changes
    sha256: str
    size: int
    written_ns: int  # model.onnx's modification time when its checksum was taken
    dimension: int
    max_seq_length: int
    pad_token_id: int
    min_cosine: float  # to sentence-transformers, over PROBES
    exporter: str
    seconds: float
    created: str

    @classmethod
    def read(cls, folder: Path) -> "ExportManifest":
        return cls.model_validate_json((folder / "export.json").read_text(encoding="utf-8"))


def export_folder(models_dir: Path, model: str, quantized: bool) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "--", model).strip("-.") or "model"
    return models_dir / f"{slug}-{'int8' if quantized else 'fp32'}"


def source_identity(model_path: Path) -> dict[str, list[int]]:
    """Size and modification time of the source weights: cheap to check on every start."""
    identity = {}
    for name in SOURCE_WEIGHTS:
        path = model_path / name
        if path.is_file():
            status = path.stat()
            identity[name] = [status.st_size, status.st_mtime_ns]
    if not identity:
        raise ModelExportError(f"no model weights ({' or '.join(SOURCE_WEIGHTS)}) in {model_path}")
    return identity


def is_current(folder: Path, model_path: Path) -> bool:
    """Whether `folder` holds a complete export of the weights in `model_path`."""
    try:
        manifest = ExportManifest.read(folder)
    except (OSError, ValueError):
        return False
    model_file = folder / "model.onnx"
    return (
        manifest.source == source_identity(model_path)
        and model_file.is_file()
        and model_file.stat().st_size == manifest.size
        and (folder / "tokenizer.json").is_file()
    )


def verified_model(folder: Path, manifest: ExportManifest, *, always: bool = False) -> Path:
    """The model file, checked against its recorded checksum.

    The file is hashed whenever it is not the one the checksum was taken of (another size or
    modification time), or when `always`; an untouched file is not read twice per start.
    """
    path = folder / "model.onnx"
    status = path.stat()
    if always or (status.st_size, status.st_mtime_ns) != (manifest.size, manifest.written_ns):
        digest = hashlib.sha256()
        with path.open("rb") as model:
            while block := model.read(1 << 20):
                digest.update(block)
        if digest.hexdigest() != manifest.sha256:
            raise ModelIntegrityError(
                f"{path} does not match its checksum in export.json; "
                "run `ai-strategy model export --force`"
            )
    return path


def ensure_exported(
    model_path: Path, models_dir: Path, *, model: str, quantized: bool, force: bool = False
) -> Path:
    """The folder of a current, verified export of `model_path`; exports it if needed."""
    folder = export_folder(models_dir, model, quantized)
    if not force and is_current(folder, model_path):
        return folder
    models_dir.mkdir(parents=True, exist_ok=True)
    # The fp32 export an int8 one is made from, before the lock: flock is per open file, so
    # taking it again inside would wait on this very process.
    source = (
        ensure_exported(model_path, models_dir, model=model, quantized=False) if quantized else None
    )
    with _export_lock(models_dir):
        if not force and is_current(folder, model_path):  # another process exported it
            return folder
        if source is not None:
            _write_export(folder, lambda target: _quantize(source, target), model_path, model, True)
        else:
            _write_export(
                folder, lambda target: _export_fp32(model_path, target), model_path, model, False
            )
    return folder


@contextmanager
def _export_lock(models_dir: Path) -> Iterator[None]:
    with (models_dir / ".export.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_export(folder: Path, produce, model_path: Path, model: str, quantized: bool) -> None:
    """Produce `model.onnx` in a fresh folder, verify it, then put it in place of `folder`."""
    variant = "int8" if quantized else "fp32"
    log.warning("exporting the embedding model %s to ONNX (%s), once", model, variant)
    started = time.perf_counter()
    building = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.building")
    building.mkdir(parents=True)
    try:
        exporter = produce(building)
        shutil.copyfile(model_path / "tokenizer.json", building / "tokenizer.json")
        config = _model_config(model_path)
        data = (building / "model.onnx").read_bytes()
        manifest = ExportManifest(
            model=model,
            variant=variant,
            source=source_identity(model_path),
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            written_ns=(building / "model.onnx").stat().st_mtime_ns,
            dimension=config["dimension"],
            max_seq_length=config["max_seq_length"],
            pad_token_id=config["pad_token_id"],
            min_cosine=0.0,
            exporter=exporter,
            seconds=0.0,
            created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
        (building / "export.json").write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
        minimum = INT8_MIN_COSINE if quantized else FP32_MIN_COSINE
        cosine = _parity(building, model_path, model, quantized)
        if cosine < minimum:
            raise ModelExportError(
                f"the ONNX export of {model} ({variant}) gives vectors at cosine {cosine:.4f} to "
                f"sentence-transformers' (at least {minimum} needed); use "
                "AI_STRATEGY_EMBEDDING_BACKEND=torch"
            )
        manifest = manifest.model_copy(
            update={
                "min_cosine": round(cosine, 6),
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
        (building / "export.json").write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
        if folder.exists():
            trash = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.old")
            folder.rename(trash)
            shutil.rmtree(trash, ignore_errors=True)
        building.rename(folder)
        log.warning(
            "exported %s (%s) in %.0f s, cosine to torch >= %.4f",
            model,
            variant,
            manifest.seconds,
            cosine,
        )
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _model_config(model_path: Path) -> dict[str, int]:
    """Dimension, truncation length and pad token, from the sentence-transformers files."""
    config = json.loads((model_path / "config.json").read_text(encoding="utf-8"))
    pooling = model_path / "1_Pooling" / "config.json"
    if pooling.is_file():
        settings = json.loads(pooling.read_text(encoding="utf-8"))
        if not settings.get("pooling_mode_mean_tokens"):
            raise ModelExportError(
                f"{model_path} does not pool by mean; use AI_STRATEGY_EMBEDDING_BACKEND=torch"
            )
    bert = model_path / "sentence_bert_config.json"
    max_length = (
        json.loads(bert.read_text(encoding="utf-8"))["max_seq_length"] if bert.is_file() else 512
    )
    return {
        "dimension": int(config["hidden_size"]),
        "max_seq_length": int(min(max_length, config.get("max_position_embeddings", max_length))),
        "pad_token_id": int(config.get("pad_token_id") or 0),
    }


def _export_fp32(model_path: Path, target: Path) -> str:
    """The transformer's token embeddings as an ONNX graph with dynamic batch and length."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    # Eager attention exports as plain matrix products, which every onnxruntime runs.
    model = AutoModel.from_pretrained(str(model_path), attn_implementation="eager").eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, transformer) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            output = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return output.last_hidden_state

    ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102, 0], [101, 7592, 102, 0, 0, 0, 0]])
    mask = (ids != 0).long()
    batch = torch.export.Dim("batch", min=1, max=4096)
    length = torch.export.Dim("sequence", min=1, max=_model_config(model_path)["max_seq_length"])
    axes = {0: batch, 1: length}
    with warnings.catch_warnings(), torch.no_grad(), _quiet_logging():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            TokenEmbeddings(model),
            (ids, mask, torch.zeros_like(ids)),
            dynamo=True,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["token_embeddings"],
            dynamic_shapes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes},
            opset_version=OPSET,
            optimize=True,
            verbose=False,
        )
        if program is None:  # the legacy exporter's result; dynamo=True always returns one
            raise ModelExportError(f"torch exported no ONNX program for {model_path}")
        program.save(str(target / "model.onnx"), external_data=False)
    return f"torch.onnx.export(dynamo=True) torch {torch.__version__}"


def _quantize(source: Path, target: Path) -> str:
    """int8 dynamic quantization of an fp32 export (see the module docstring for which nodes)."""
    import onnx
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with tempfile.TemporaryDirectory(dir=target) as scratch, _quiet_logging():
        prepared = Path(scratch) / "prepared.onnx"
        quant_pre_process(str(source / "model.onnx"), str(prepared), skip_symbolic_shape=True)
        down_projections = [
            node.name
            for node in onnx.load(str(prepared)).graph.node
            if node.op_type == "MatMul" and node.input[0].startswith("gelu")
        ]
        quantize_dynamic(
            str(prepared),
            str(target / "model.onnx"),
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            nodes_to_exclude=down_projections,
            extra_options={"MatMulConstBOnly": True},
        )
    return f"onnxruntime {onnxruntime.__version__} quantize_dynamic (int8, per channel)"


@contextmanager
def _quiet_logging() -> Iterator[None]:
    """The exporter, its optimizer and the quantizer log every step (some on the root logger)."""
    loggers = [logging.getLogger(name) for name in ("", *_EXPORTER_LOGGERS)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _parity(folder: Path, model_path: Path, model: str, quantized: bool) -> float:
    """Worst cosine between the export's vectors and sentence-transformers' over PROBES."""
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from ingest.embedding import EmbedderSpec
    from ingest.onnx_embedder import OnnxEmbedder

    reference = SentenceTransformer(str(model_path), device="cpu").encode(
        list(PROBES), normalize_embeddings=True, convert_to_numpy=True
    )
    exported = OnnxEmbedder(
        EmbedderSpec(model=model, quantized=quantized, models_dir=folder.parent, batch_size=4),
        folder,
    )
    batched = exported.embed(PROBES)
    alone = np.concatenate([exported.embed([text]) for text in PROBES])
    return float(
        min((reference * batched).sum(axis=1).min(), (reference * alone).sum(axis=1).min())
    )
