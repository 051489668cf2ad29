# Shared by scripts/demo and scripts/test (sourced, not run).
# ensure_venv NAME TARGET: make .venv if missing, then `pip install -e TARGET` only when
# pyproject.toml (or the Python running the venv) changed since the last install for NAME.
# The stamp .venv/.erlen-NAME-stamp holds the hash of what was installed.

ensure_venv() {
    local name="$1" target="$2"
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv
    fi
    local stamp=".venv/.erlen-${name}-stamp"
    local want
    want="$( { cat pyproject.toml; .venv/bin/python -VV; echo "$target"; } | sha256sum | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q -e "$target"
    echo "$want" > "$stamp"
}
