# Sourced by scripts that run Python tools: the project-local, git-ignored `.venv/`
# with exact versions from PyPI, installed on first use (idempotent: nothing is
# downloaded once the pinned versions are in).
#
#   venv_require DIST==VERSION ...   installs what is missing or at another version
#   $VENV                            the virtualenv's directory
# Env: PYTHON (default python3)

# One SAM CLI for validating and building the template.
SAM_CLI_PIN="aws-sam-cli==1.170.0"

VENV="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.venv"

venv_installed_version() { # prints the installed version of a distribution, or nothing
  "$VENV/bin/python" - "$1" <<'PY' 2>/dev/null || true
import sys
from importlib.metadata import version, PackageNotFoundError
try:
    print(version(sys.argv[1]))
except PackageNotFoundError:
    pass
PY
}

venv_require() {
  if [[ ! -x "$VENV/bin/python" ]]; then
    echo "creating $VENV" >&2
    "${PYTHON:-python3}" -m venv "$VENV"
  fi
  local missing=() pin
  for pin in "$@"; do
    if [[ "$(venv_installed_version "${pin%%==*}")" != "${pin##*==}" ]]; then
      missing+=("$pin")
    fi
  done
  if ((${#missing[@]})); then
    echo "installing ${missing[*]} into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "${missing[@]}"
  fi
}
