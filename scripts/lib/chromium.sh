# Debian's Chromium and ChromeDriver for the browser journeys (no browser download).
# shellcheck shell=bash

MEEDOEN_CHROMIUM="${MEEDOEN_CHROMIUM:-/usr/bin/chromium}"

ensure_chromium() {
    if [[ ! -x "$MEEDOEN_CHROMIUM" || ! -x /usr/bin/chromedriver ]]; then
        apt_install chromium chromium-driver
    fi
    [[ -x "$MEEDOEN_CHROMIUM" ]] || die "Chromium not found at $MEEDOEN_CHROMIUM after installing it"
    "$MEEDOEN_CHROMIUM" --headless=new --no-sandbox --version >/dev/null 2>&1 ||
        "$MEEDOEN_CHROMIUM" --version >/dev/null 2>&1 ||
        die "$MEEDOEN_CHROMIUM does not start"
    log "browser: $("$MEEDOEN_CHROMIUM" --version 2>/dev/null | head -1)"
    export MEEDOEN_CHROMIUM
}

ensure_node() {
    command -v node >/dev/null 2>&1 || apt_install nodejs npm
    command -v npm >/dev/null 2>&1 || apt_install npm
    log "node $(node --version), npm $(npm --version 2>/dev/null)"
}
