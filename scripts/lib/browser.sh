# Sourced by the browser scripts: Debian's chromium (apt, when /usr/bin/chromium
# is missing) and playwright-core as pinned in tests/browser/package-lock.json,
# into tests/browser/node_modules. Run from the repository's root.
install_browser() {
  if [[ ! -x /usr/bin/chromium ]]; then
    echo "== installing Debian's chromium"
    sudo=""
    [[ "$(id -u)" -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
  fi
  pinned="$(node -p 'require("./tests/browser/package.json").dependencies["playwright-core"]')"
  installed="$(node -p 'require("./tests/browser/node_modules/playwright-core/package.json").version' 2>/dev/null || true)"
  if [[ "$installed" != "$pinned" ]]; then
    echo "== npm ci (tests/browser: playwright-core $pinned)"
    (cd tests/browser && npm ci --no-audit --no-fund --silent)
  fi
}
