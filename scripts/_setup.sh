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

build_package() {  # build_package: sdist and wheel into dist/, checked as an index would
  rm -rf dist
  .venv/bin/python -m build -q --no-isolation --outdir dist . >/dev/null
  .venv/bin/twine check --strict dist/*
  .venv/bin/check-wheel-contents dist/*.whl
  # The compat jobs run the tests shipped in the sdist (conftest.py included), not ./tests.
  mkdir dist/sdist
  tar -xzf dist/*.tar.gz -C dist/sdist --strip-components=1
}

# The tests that run on other versions than the pinned ones: the engine's parity with
# botocore, the feature checks, and the magics in a real IPython shell.
COMPAT_TESTS="tests/test_resolution_parity.py tests/test_compat.py tests/test_magics.py tests/test_completion.py tests/test_whoami_all.py"

compat_run() {  # compat_run NAME WHEEL-SPEC UV-PIP-ARGS...: the wheel in .venv-NAME, COMPAT_TESTS
  local name=$1 wheel=$2 venv=".venv-$1" work
  shift 2
  # uv (from the test group) makes and fills the venv in seconds; never constrained: the
  # dependencies are what the resolver picks for WHEEL-SPEC and the arguments.
  [ -x "$venv/bin/python" ] || .venv/bin/uv venv -q --python "$PYTHON" "$venv"
  .venv/bin/uv pip install -q --python "$venv/bin/python" "$wheel" "$@"
  # Same version number, new code: replace the package itself on a reused venv.
  .venv/bin/uv pip install -q --python "$venv/bin/python" --reinstall --no-deps dist/*.whl
  .venv/bin/uv pip list -q --python "$venv/bin/python" 2>/dev/null \
    | grep -iE '^(boto3|botocore|ipython|ipywidgets|pandas|numpy|s3fs|aiobotocore) ' \
    | tr -s ' ' | paste -sd ',' | sed "s/^/   $name: /"
  # The unpacked sdist without its package: its tests run on the installed wheel.
  work=$(mktemp -d)
  cp -r dist/sdist/. "$work/"
  rm -rf "$work/aws_cred_magic"
  (cd "$work" && "$OLDPWD/$venv/bin/python" -m pytest -q -p no:cacheprovider --timeout=300 \
    $COMPAT_TESTS) || { rm -rf "$work"; return 1; }
  rm -rf "$work"
}

test_tool_pins() {  # the test tools the compat venvs need, pinned as in scripts/constraints.txt
  grep -iE '^(pytest|pytest-timeout|moto|flask|flask-cors)==' scripts/constraints.txt
}
