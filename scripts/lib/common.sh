# Shared helpers for scripts/test: messages, stage timing, privileges.
# shellcheck shell=bash

MEEDOEN_STAGE_NAMES=()
MEEDOEN_STAGE_SECS=()

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

in_ci() { [[ -n "${CI:-}" && "${CI}" != "0" && "${CI}" != "false" ]]; }

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
    if [[ "$(id -u)" == "0" ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        return 1
    fi
}

APT_UPDATED=0
APT_LOG="${TMPDIR:-/tmp}/meedoen-apt.log"
apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install $* by hand"
    if [[ "$APT_UPDATED" == 0 ]]; then
        log "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$APT_LOG" 2>&1 ||
            die "apt-get update failed (are you root, or is passwordless sudo available?):
$(tail -20 "$APT_LOG")"
        APT_UPDATED=1
    fi
    log "apt-get install $* (log: $APT_LOG)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>"$APT_LOG" 2>&1 ||
        die "apt-get install $* failed:
$(tail -20 "$APT_LOG")"
}

# stage NAME COMMAND...: run a command, time it, stop the run when it fails.
stage() {
    local name="$1"
    shift
    log "stage: $name"
    local start=$SECONDS
    local rc=0
    "$@" || rc=$?
    local took=$((SECONDS - start))
    MEEDOEN_STAGE_NAMES+=("$name")
    MEEDOEN_STAGE_SECS+=("$took")
    if [[ $rc != 0 ]]; then
        printf 'error: stage "%s" failed (exit %d) after %ds\n' "$name" "$rc" "$took" >&2
        stage_summary
        exit "$rc"
    fi
    log "stage $name: ok in ${took}s"
}

stage_summary() {
    local i total=0
    printf '\n%-28s %8s\n' "stage" "seconds" >&2
    for i in "${!MEEDOEN_STAGE_NAMES[@]}"; do
        printf '%-28s %8s\n' "${MEEDOEN_STAGE_NAMES[$i]}" "${MEEDOEN_STAGE_SECS[$i]}" >&2
        total=$((total + MEEDOEN_STAGE_SECS[i]))
    done
    printf '%-28s %8s\n\n' "total" "$total" >&2
}
