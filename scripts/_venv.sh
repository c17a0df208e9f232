# Sourced by run.sh and test.sh: find Python 3.11, create .venv, install a requirements file once per change.
# Python 3.11 because the pinned torch 2.13.0 CPU wheel is built for it (see README, "Dependencies").

find_python() {
  for candidate in "${PYTHON:-}" python3.11 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "Python 3.11 is required (set PYTHON=/path/to/python3.11)." >&2
  return 1
}

ensure_venv() {
  local requirements=$1
  if [ ! -x .venv/bin/python ]; then
    local python
    python=$(find_python)
    echo "Creating the virtual environment in .venv ..."
    "$python" -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
  fi
  # Reinstall only when the requirements changed: a stamp holds the hash of what was installed.
  local stamp=".venv/.installed-$(basename "$requirements" .txt)"
  local wanted
  wanted=$(cat requirements*.txt | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "Installing $requirements ..."
    .venv/bin/python -m pip install -q -r "$requirements"
    echo "$wanted" >"$stamp"
  fi
}
