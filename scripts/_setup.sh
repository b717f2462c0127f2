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

find_python() {  # find_python X.Y: print the path of a working Python X.Y, or say why not
  # Looked for, in order: pythonX.Y on PATH, pyenv's installs, newest patch first (its
  # shims answer only for the versions pyenv has selected), then uv's own installs (never
  # downloading one). Each candidate is run: a shim or a stale link that cannot start, or
  # answers with another version, is no interpreter.
  local want=$1 candidate
  local pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
  # shellcheck disable=SC2046  # one path per word
  for candidate in \
    "$(command -v "python$want" 2>/dev/null)" \
    $(ls -d "$pyenv_root/versions/$want".*[0-9]/bin/"python$want" 2>/dev/null | sort -rV) \
    "$(UV_PYTHON_DOWNLOADS=never .venv/bin/uv python find --no-python-downloads \
      --python-preference only-managed "$want" 2>/dev/null)"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    if [ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' \
      2>/dev/null)" = "$want" ]; then
      echo "$candidate"
      return 0
    fi
  done
  echo "error: no Python $want (declared in pyproject.toml) found: not python$want on PATH," \
    "not in $pyenv_root/versions, not known to uv; install it (pyenv install $want)" >&2
  return 1
}

compat_run() {  # compat_run NAME PYTHON WHEEL-SPEC UV-PIP-ARGS...: the wheel in .venv-NAME
  # on interpreter PYTHON (a path, from find_python), then COMPAT_TESTS
  local name=$1 python=$2 wheel=$3 venv=".venv-$1" work start=$SECONDS
  shift 3
  # A venv kept from an earlier run on another Python is made again.
  if [ -x "$venv/bin/python" ] \
    && [ "$("$venv/bin/python" --version 2>&1)" != "$("$python" --version 2>&1)" ]; then
    rm -rf "$venv"
  fi
  # uv (from the test group) makes and fills the venv in seconds; never constrained: the
  # dependencies are what the resolver picks for WHEEL-SPEC and the arguments.
  [ -x "$venv/bin/python" ] || UV_PYTHON_DOWNLOADS=never \
    .venv/bin/uv venv -q --no-python-downloads --python "$python" "$venv"
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
  echo "   $name: $((SECONDS - start)) s"
}

test_tool_pins() {  # the test tools the compat venvs need, pinned as in scripts/constraints.txt
  grep -iE '^(pytest|pytest-timeout|moto|flask|flask-cors)==' scripts/constraints.txt
}
