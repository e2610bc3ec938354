"""The machine record every benchmark report carries: CPU, flags, cores, GPU, versions, load.

Numbers measured on a busy machine are not comparable to numbers from an idle one, so the report
records the load average and the other processes that were using the CPU before and after the run.

Example:
    >>> rec = machine_record()                        # doctest: +SKIP
    >>> rec["cpu"]["flags"]["avx2"], rec["cores"]["logical"]   # doctest: +SKIP
    (True, 2)
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

#: Instruction-set flags that decide fp32/int8 speed.
CPU_FLAGS = ("avx2", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "amx_int8", "amx_bf16")
LIBRARIES = ("numpy", "onnxruntime", "tokenizers", "torch", "transformers", "onnx", "psutil", "matplotlib")


def cpu_record() -> dict[str, Any]:
    """CPU model name and flags, from py-cpuinfo when installed plus ``/proc/cpuinfo``."""
    name, flags = "", set()
    try:
        import cpuinfo  # py-cpuinfo (bench extra)

        info = cpuinfo.get_cpu_info()
        name = str(info.get("brand_raw", ""))
        flags = set(info.get("flags", []))
    except Exception:  # noqa: BLE001 - optional dependency, any failure falls back to /proc
        pass
    try:  # subtle: py-cpuinfo and the kernel spell some flags differently; take the union
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and not name:
                name = value.strip()
            elif key.strip() == "flags":
                flags |= set(value.split())
                break
    except OSError:
        pass
    return {
        "model_name": name or platform.processor(),
        "arch": platform.machine(),
        "flags": {f: f in flags for f in CPU_FLAGS},
    }


def gpu_record() -> dict[str, Any] | None:
    """The first CUDA GPU (name, memory) if torch or nvidia-smi sees one, else ``None``."""
    try:
        import torch

        if torch.cuda.is_available():
            p = torch.cuda.get_device_properties(0)
            return {
                "name": p.name,
                "memory_gib": round(p.total_memory / 2**30, 1),
                "count": torch.cuda.device_count(),
            }
    except ImportError:
        pass
    if shutil.which("nvidia-smi"):
        try:
            out = subprocess.run(
                ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout.strip()
            return {"name": out.splitlines()[0], "torch_cuda": False} if out else None
        except (subprocess.SubprocessError, OSError):
            return None
    return None


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose speed is measured (``absent`` when not installed)."""
    out = {"python": platform.python_version()}
    for mod in LIBRARIES:
        try:
            out[mod] = str(__import__(mod).__version__)
        except ImportError:
            out[mod] = "absent"
    try:
        import onnxruntime as ort

        out["onnxruntime_providers"] = ",".join(ort.get_available_providers())
    except ImportError:
        pass
    return out



def portable_cmd(cmd: str) -> str:
    """A command line as a report records it: no absolute path of this machine.

    Example:
        >>> portable_cmd("/usr/bin/python3 x.py --gold /data/corpora/physionet-dev/notes.jsonl")
        '.../python3 x.py --gold .../notes.jsonl'
    """
    cmd = cmd.replace(f"{Path.cwd()}/", "").replace(f"{Path.home()}/", "~/")
    return re.sub(r"(?<![\w.~])/(?:[^\s/]+/)+(?=[^\s/])", ".../", cmd)

def load_snapshot(sample_s: float = 0.5, top: int = 5) -> dict[str, Any]:
    """Load average and the other processes using CPU right now (sampled over ``sample_s``).

    Example:
        >>> snap = load_snapshot(0.1)                     # doctest: +SKIP
        >>> sorted(snap)                                  # doctest: +SKIP
        ['busy', 'loadavg', 'others', 'time']
    """
    la = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    others: list[dict[str, Any]] = []
    try:
        import psutil

        me = os.getpid()
        procs = [p for p in psutil.process_iter(["pid", "name", "cmdline"]) if p.info["pid"] != me]
        for p in procs:
            try:
                p.cpu_percent(None)
            except (psutil.Error, OSError):
                pass
        time.sleep(sample_s)
        for p in procs:
            try:
                pct = p.cpu_percent(None)
            except (psutil.Error, OSError):
                continue
            if pct >= 5.0:
                cmd = " ".join(p.info.get("cmdline") or [p.info.get("name") or "?"])
                cmd = portable_cmd(cmd)
                others.append({"pid": p.info["pid"], "cpu_percent": round(pct, 1), "cmd": cmd[:120]})
        others.sort(key=lambda d: -d["cpu_percent"])
    except ImportError:
        pass
    cores = os.cpu_count() or 1
    busy = sum(o["cpu_percent"] for o in others) / 100.0
    return {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "loadavg": [round(x, 2) for x in la],
        "others": others[:top],
        "busy": bool(busy > 0.25 * cores or la[0] > 0.5 * cores),
    }


def machine_record() -> dict[str, Any]:
    """Everything about this machine that a reader needs to compare two reports."""
    try:
        import psutil

        physical = psutil.cpu_count(logical=False)
        mem = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        physical, mem = None, None
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "os": platform.platform(),
        "cpu": cpu_record(),
        "cores": {"logical": os.cpu_count(), "physical": physical, "usable": affinity},
        "memory_gib": mem,
        "gpu": gpu_record(),
        "versions": library_versions(),
    }
