"""Export a sentence-transformers model's transformer to ONNX once, for the torch-free query path."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import warnings
from pathlib import Path

from index.embed.base import cache_dir

log = logging.getLogger(__name__)


def exportable(model) -> bool:
    """A BERT transformer, mean pooling and at most a Normalize, no prompts: what OnnxEncoder reproduces exactly."""
    mods = list(model)
    if len(mods) < 2 or type(mods[0]).__name__ != "Transformer" or type(mods[1]).__name__ != "Pooling":
        return False
    mode = getattr(mods[1], "pooling_mode", None)
    if isinstance(mode, (list, tuple)):
        mode = mode[0] if len(mode) == 1 else None
    if mode is None and getattr(mods[1], "pooling_mode_mean_tokens", False) is True:
        mode = "mean"
    if mode != "mean" or getattr(mods[0], "do_lower_case", False) or any((getattr(model, "prompts", None) or {}).values()):
        return False
    if any(type(m).__name__ != "Normalize" for m in mods[2:]):
        return False
    return getattr(mods[0].auto_model.config, "model_type", "") == "bert"


def query_model_file(name: str, folder: Path, dtype: str, device: str) -> Path | None:
    """Where this model's fp32 ONNX export is cached (None: this model is not exportable)."""
    if not (folder / "tokenizer.json").is_file() or dtype != "float32" or device != "cpu":
        return None
    weights = sorted(p for p in folder.glob("*") if p.suffix in {".safetensors", ".bin"})
    if not weights:
        return None
    key = hashlib.sha1(json.dumps([name, [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in weights]]).encode())
    return cache_dir() / "onnx" / key.hexdigest()[:16] / "model.onnx"


def export_query_model(model, target: Path) -> None:
    """Export the transformer to ONNX once per machine, so later processes answer without torch.

    Only for the plain pipeline (transformer, mean pooling, optional normalise); anything else
    keeps using torch for queries. A failed export is logged and changes nothing.
    """
    if target.exists() or not exportable(model):
        return
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        import torch

        class _Hidden(torch.nn.Module):
            def __init__(self, bert):
                super().__init__()
                self.bert = bert

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

        target.parent.mkdir(parents=True, exist_ok=True)
        names = ["input_ids", "attention_mask", "token_type_ids"]
        dummy = tuple(torch.ones(1, 8, dtype=torch.long) for _ in names)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(_Hidden(model[0].auto_model.eval()), dummy, str(tmp), input_names=names,
                              output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                              dynamic_axes={n: {0: "batch", 1: "seq"} for n in [*names, "last_hidden_state"]})
        os.replace(tmp, target)
    except Exception as exc:  # noqa: BLE001 - an optimisation only
        log.warning("query model export failed (%s); queries keep using torch", exc)
        with contextlib.suppress(OSError):
            tmp.unlink()
        return
    quantize_query_model(target)


def _no_preprocess_advice(record: logging.LogRecord) -> bool:
    return "pre-processing before quantization" not in record.getMessage()


def int8_model_file(target: Path) -> Path:
    """Where the int8 copy of the fp32 export ``target`` is cached (beside it)."""
    return target.with_name("model.int8.onnx")


def quantize_query_model(target: Path) -> Path | None:
    """Make the int8 copy of an fp32 export once: weights int8 per output channel.

    Used for answer and corroboration sentences, which are only compared with each other and with
    the question: faster than fp32 on a CPU with int8 dot products (VNNI), nearly the same vectors
    (bench/README.md). None when there is no export or quantizing fails.
    """
    out = int8_model_file(target)
    if out.exists():
        return out
    if not target.exists():
        return None
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic

        root = logging.getLogger()
        root.addFilter(_no_preprocess_advice)  # the quantizer advises "pre-processing" on the root logger
        try:
            quantize_dynamic(str(target), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                             extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        finally:
            root.removeFilter(_no_preprocess_advice)
        os.replace(tmp, out)
        return out
    except Exception as exc:  # noqa: BLE001 - an optimisation only
        log.warning("int8 sentence model failed (%s); answer sentences use float32", exc)
        with contextlib.suppress(OSError):
            tmp.unlink()
        return None
