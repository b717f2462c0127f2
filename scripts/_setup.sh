# Shared setup for scripts/test and scripts/demo (sourced, not run).
PYTHON=${PYTHON:-python3}

setup_venv() {  # setup_venv EXTRA: create .venv and install the package with that extra
  if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
  fi
  echo "== installing aws_cred_magic[$1] into .venv (versions from scripts/constraints.txt)"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  # The constraints are a tested set: pip installs them without backtracking (s3fs pins
  # botocore through aiobotocore, which otherwise sends pip through every boto3 release).
  .venv/bin/python -m pip install -q --disable-pip-version-check \
    -c scripts/constraints.txt -e ".[$1]"
}

ensure_chromium() {  # Debian's Chromium for Playwright (never `playwright install`)
  if command -v chromium >/dev/null 2>&1; then return; fi
  echo "== installing Debian's chromium"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
}
