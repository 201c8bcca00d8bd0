"""The built-in reranker's int8 ONNX files: ``export`` a trained model to them, ``unpack`` them back
into a transformers folder (the ``export`` and ``unpack`` steps of ``bench/train_reranker.py``)."""

from __future__ import annotations

from pathlib import Path


def export(args) -> None:
    import shutil

    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    src, out = Path(args.model), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # eager attention: the SDPA export adds mask arithmetic (IsNaN, Where) to every layer, which made
    # reranking 12% slower on these cores (same weights; bench/results/reranker_graph.json)
    model = AutoModelForSequenceClassification.from_pretrained(src, torch_dtype=torch.float32,
                                                               attn_implementation="eager").eval()
    tok = AutoTokenizer.from_pretrained(src)
    enc = tok(["a question"], ["a passage of text"], return_tensors="pt")
    fp32 = out / "model.fp32.onnx"
    torch.onnx.export(
        model, (enc["input_ids"], enc["attention_mask"], enc["token_type_ids"]), str(fp32),
        input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
        dynamic_axes={k: {0: "batch", 1: "seq"} for k in ("input_ids", "attention_mask", "token_type_ids")} | {"logits": {0: "batch"}},
        opset_version=17, dynamo=False,
    )
    quantize_dynamic(str(fp32), str(out / "model.onnx"), weight_type=QuantType.QInt8, per_channel=True,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    fp32.unlink()
    tok.backend_tokenizer.save(str(out / "tokenizer.json"))
    if (src / "training.json").exists():
        shutil.copy(src / "training.json", out / "training.json")
    print(f"wrote {out / 'model.onnx'} ({(out / 'model.onnx').stat().st_size / 2**20:.1f} MiB)")


def unpack(args) -> None:
    """The int8 ONNX reranker as a transformers folder: every weight dequantized (``(q - zero) * scale``).

    Quantizing these weights again per output channel gives back the same int8 values, so ``export``
    of this folder is the shipped model in a new graph, not a new model.
    """
    import shutil

    import numpy as np
    import onnx
    import torch
    from onnx import numpy_helper
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    src, out = Path(args.model), Path(args.out)
    graph = onnx.load(str(src / "model.onnx")).graph
    init = {t.name: numpy_helper.to_array(t) for t in graph.initializer}

    def dequantized(base: str) -> np.ndarray:
        q = init[base + "_quantized"].astype(np.float32)
        return (q - init[base + "_zero_point"].astype(np.float32)) * init[base + "_scale"]

    matmuls: list[str] = []  # weights in graph order: per layer query, key, value, attention out, up, down
    for node in graph.node:
        if node.op_type == "MatMulInteger" and node.input[1].endswith("_quantized"):
            base = node.input[1].removesuffix("_quantized")
            if base not in matmuls:
                matmuls.append(base)
    layers = (len(matmuls) - 2) // 6
    hidden, inner = init[matmuls[0] + "_quantized"].shape[0], init[matmuls[4] + "_quantized"].shape[1]
    linear = [f"bert.encoder.layer.{i}.{n}" for i in range(layers) for n in (
        "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
        "intermediate.dense", "output.dense")] + ["bert.pooler.dense", "classifier"]
    if len(linear) != len(matmuls):
        raise SystemExit(f"unexpected graph: {len(matmuls)} quantized matrices for {layers} layers")
    state = {name + ".weight": dequantized(w).T for name, w in zip(linear, matmuls, strict=True)}
    for part in ("word", "position", "token_type"):
        state[f"bert.embeddings.{part}_embeddings.weight"] = dequantized(f"bert.embeddings.{part}_embeddings.weight")
    state |= {k: v for k, v in init.items() if k.startswith(("bert.", "classifier."))
              and not k.endswith(("_quantized", "_scale", "_zero_point"))}
    emb = state["bert.embeddings.word_embeddings.weight"]
    cfg = BertConfig(vocab_size=emb.shape[0], hidden_size=hidden, num_hidden_layers=layers,
                     num_attention_heads=args.heads, intermediate_size=inner,
                     max_position_embeddings=state["bert.embeddings.position_embeddings.weight"].shape[0],
                     type_vocab_size=state["bert.embeddings.token_type_embeddings.weight"].shape[0], num_labels=1)
    model = BertForSequenceClassification(cfg)
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()},
                                                strict=False)
    if [k for k in missing if "position_ids" not in k] or unexpected:
        raise SystemExit(f"weights do not fit: missing {missing}, unexpected {unexpected}")
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    BertTokenizerFast(tokenizer_file=str(src / "tokenizer.json"), cls_token="[CLS]", sep_token="[SEP]",
                      pad_token="[PAD]", unk_token="[UNK]", mask_token="[MASK]").save_pretrained(out)
    if (src / "training.json").exists():
        shutil.copy(src / "training.json", out / "training.json")
    print(f"unpacked {layers} layers to {out}")
