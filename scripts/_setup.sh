# Shared setup for scripts/test and scripts/demo (sourced, not run).
PYTHON=${PYTHON:-python3}

setup_venv() {  # setup_venv GROUP: create .venv, install the package (+ [s3]) and that group
  # GROUP is a development dependency group of pyproject.toml (demo or test): the demo's and
  # the tests' tools (moto, Flask, JupyterLab, Playwright, ruff) are never user extras.
  if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
  fi
  echo "== installing aws_cred_magic[s3] and group $1 into .venv (versions from scripts/constraints.txt)"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade "pip>=25.1"
  # The constraints are a tested set: pip installs them without backtracking (s3fs pins
  # botocore through aiobotocore, which otherwise sends pip through every boto3 release).
  .venv/bin/python -m pip install -q --disable-pip-version-check \
    -c scripts/constraints.txt -e ".[s3]" --group "$1"
}

ensure_chromium() {  # Debian's Chromium for Playwright (never `playwright install`)
  if command -v chromium >/dev/null 2>&1; then return; fi
  echo "== installing Debian's chromium"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
}
