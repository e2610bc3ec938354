#!/usr/bin/env bash
# Install the package as a user would (`pip install <clone>`, not editable) into a fresh virtual
# environment per Python version, then run the quick start with the installed wheel.
#
#   scripts/install_check.sh                 # every Python 3.11-3.13 found on PATH or in pyenv
#   PYTHONS="python3.12" scripts/install_check.sh
#   REPO=<git url or path> REF=main scripts/install_check.sh
#
# Checks, per interpreter: the clone installs (core dependencies only: numpy, onnxruntime, tokenizers,
# pydantic, resolved from the index as a user gets them, no constraints file); the `engine` package
# is imported from site-packages, not from the clone; the embedded default model is inside the
# wheel; `engine` is the only package installed (engine.training, engine.export, engine.benchmarks;
# no top-level training, export or benchmarks); `deid redact examples/ --style tag` exits 0 and
# prints [TAG]s; then, with the [surrogates] extra under requirements-pins.txt, `deid synth
# --n-train 50 --n-dev 10 --seed 13` from the wheel's vendored bases gives the same corpus bytes on
# every version (SKIP_SYNTH=1 skips this part).
# Prints one line per version and exits non-zero when any version fails.
set -u -o pipefail

REPO=${REPO:-$(git rev-parse --show-toplevel)}
REF=${REF:-HEAD}
WORK=$(mktemp -d -t deid-install-check.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

find_pythons() {
    local v found=()
    for v in 3.11 3.12 3.13; do
        local py=""
        # (a pyenv shim exists for every installed version but runs only the active ones)
        if "python$v" -c 'import sys' >/dev/null 2>&1; then
            py=$(command -v "python$v")
        elif command -v pyenv >/dev/null 2>&1; then
            local d
            for d in $(ls -d "$(pyenv root)/versions/$v".* 2>/dev/null | sort -V -r); do
                [ -x "$d/bin/python" ] && { py="$d/bin/python"; break; }
            done
        fi
        [ -n "$py" ] && found+=("$py")
    done
    echo "${found[@]}"
}

PYTHONS=${PYTHONS:-$(find_pythons)}
[ -n "$PYTHONS" ] || { echo "install-check: no Python 3.11-3.13 found" >&2; exit 2; }

git clone -q "$REPO" "$WORK/clone"
git -C "$WORK/clone" checkout -q "$REF"
status=0
summary=()
for py in $PYTHONS; do
    ver=$("$py" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
    venv="$WORK/venv-$ver"
    log="$WORK/log-$ver.txt"
    echo "== Python $ver ($py)"
    if ! "$py" -m venv "$venv" >"$log" 2>&1 \
        || ! "$venv/bin/pip" install -q --upgrade pip >>"$log" 2>&1 \
        || ! "$venv/bin/pip" install -q "$WORK/clone" >>"$log" 2>&1; then
        tail -20 "$log"; summary+=("Python $ver: FAIL (pip install)"); status=1; continue
    fi
    # Run outside the clone so that `engine` can only come from site-packages.
    if ! (cd "$WORK" && "$venv/bin/python" - <<'PY'
import importlib.util, pathlib, sys, engine, engine.artifacts as a
where = pathlib.Path(engine.__file__).resolve()
assert "site-packages" in where.parts, f"engine imported from {where}, not from the wheel"
assert a.default_model_available(), "the embedded default model is not inside the wheel"
a.load_artifacts(None)
# one top-level package: training/, export/ and benchmarks/ install as engine.* only
old = [m for m in ("training", "export", "benchmarks") if importlib.util.find_spec(m) is not None]
assert not old, f"the wheel installs top-level {old}"
import engine.benchmarks, engine.training.corpora, engine.training.labelmaps as lm
assert lm.get_labelmap("presidio->i2b2.v1").mapping, "package data of engine.training missing"
print("engine from", where.parent, "; default model verified; no top-level training/export/benchmarks")
PY
    ) >>"$log" 2>&1; then
        tail -20 "$log"; summary+=("Python $ver: FAIL (wheel contents)"); status=1; continue
    fi
    if ! (cd "$WORK" && "$venv/bin/deid" redact "$WORK/clone/examples/" --style tag) >"$WORK/out-$ver.txt" 2>>"$log" \
        || ! grep -q '\[[A-Z]*\]' "$WORK/out-$ver.txt"; then
        tail -20 "$log"; head -20 "$WORK/out-$ver.txt"; summary+=("Python $ver: FAIL (deid redact)"); status=1; continue
    fi
    deps=$("$venv/bin/python" -c 'import importlib.metadata as m; print(" ".join(f"{n}=={m.version(n)}" for n in ("numpy", "onnxruntime", "tokenizers", "pydantic")))')
    # Training data from the wheel: the vendored bases + the pinned surrogate libraries give the same
    # corpus bytes on every Python version (the first version's hash is the reference).
    if [ -z "${SKIP_SYNTH:-}" ]; then
        if ! "$venv/bin/pip" install -q -c "$WORK/clone/requirements-pins.txt" "$WORK/clone[surrogates]" >>"$log" 2>&1 \
            || ! (cd "$WORK" && "$venv/bin/deid" synth --out "$WORK/synth-$ver" --n-train 50 --n-dev 10 --seed 13) >>"$log" 2>&1; then
            tail -20 "$log"; summary+=("Python $ver: FAIL (deid synth)"); status=1; continue
        fi
        corpus=$(cat "$WORK/synth-$ver/train.jsonl" "$WORK/synth-$ver/dev.jsonl" | sha256sum | cut -c1-16)
        if [ -n "${reference:-}" ] && [ "$corpus" != "$reference" ]; then
            summary+=("Python $ver: FAIL (synth corpus $corpus differs from $reference)"); status=1; continue
        fi
        reference=${reference:-$corpus}
    fi
    summary+=("Python $ver: OK ($deps${corpus:+; synth corpus sha256 $corpus})")
done
echo
printf '%s\n' "${summary[@]}"
exit $status
