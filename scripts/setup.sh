#!/usr/bin/env bash
# Create .venv and install skmts with its test, benchmark and compare extras.
#
# torch: if a local CPU wheel of torch is offered to pip (a --find-links folder such as
# /opt/wheels on the project's CI machines), it is installed first, so setup takes
# seconds instead of downloading a multi-GB CUDA build. Anywhere else pip installs the
# torch that suits the machine; skmts itself only asks for torch>=2.1.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true

if ! python -c "import torch" 2>/dev/null; then
  wheel=""
  for d in ${PIP_FIND_LINKS:-} /opt/wheels; do
    [ -d "$d" ] || continue
    cand=$(ls "$d"/torch-*+cpu-cp$(python -c 'import sys;print(f"{sys.version_info[0]}{sys.version_info[1]}")')-*.whl 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$cand" ] && wheel=$cand && break
  done
  if [ -n "$wheel" ]; then
    echo "setup: installing the local CPU build of torch: $(basename "$wheel")"
    python -m pip install -q "$wheel" 2>&1 | grep -v "^WARNING: Location" || true
  fi
fi

# PYTHONWARNINGS: setuptools' notes on editable installs would fill a screen
PYTHONWARNINGS=ignore python -m pip install -q -c requirements/constraints.txt \
  -e ".[test,benchmark,compare]" 2>&1 \
  | grep -v "^WARNING: Location" || true
python -c "import skmts, torch, sklearn, skorch; print('setup: skmts', skmts.__version__, '| torch', torch.__version__, '| scikit-learn', sklearn.__version__)"
