# Sourced by the project's host scripts. need_tools installs what a script runs that a minimal
# Debian system lacks: each argument is COMMAND:PACKAGE, or /FILE:PACKAGE for a file that is not a
# command (a header). Every command a host script runs must be named in its need_tools call or
# come with every Debian system (priority required): io.github.rseq4j.scripts.ScriptToolsTest
# checks that against the scripts' text.
present() { if [[ $1 == /* ]]; then [[ -e $1 ]]; else command -v "$1" >/dev/null; fi; }
need_tools() {
    local spec missing=() packages=()
    command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || {
        echo "vmtest needs a Debian-like host (apt-get, dpkg-deb)" >&2; exit 2; }
    for spec; do
        present "${spec%%:*}" && continue
        missing+=("${spec%%:*}")
        [[ " ${packages[*]} " == *" ${spec#*:} "* ]] || packages+=("${spec#*:}")
    done
    ((${#missing[@]})) || return 0
    if [[ $(id -u) != 0 ]]; then
        echo "vmtest needs ${missing[*]}: apt-get install ${packages[*]}, or run as root" >&2; exit 2
    fi
    echo "vmtest: installing ${packages[*]} (for ${missing[*]}) from the host's own suite" >&2
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends "${packages[@]}" >/dev/null
    for spec in "${missing[@]}"; do
        present "$spec" || {
            echo "vmtest: $spec is still missing after installing ${packages[*]}" >&2; exit 2; }
    done
}
