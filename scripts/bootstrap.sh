#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine of this kind:
# system packages (as root), a virtualenv with the Python packages, front-end assets from npm.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
APT_PACKAGES=(fonts-noto-cjk texlive-lang-chinese poppler-utils chromium libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 wrk)

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "==> 安装系统软件包: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "!! 缺少系统软件包: ${missing[*]} (请以 root 身份运行或手动安装)" >&2
    fi
fi

pick_python() {
    for c in "$(pyenv which python 2>/dev/null || true)" python3.13 python3.12 python3; do
        [ -n "$c" ] || continue
        command -v "$c" >/dev/null 2>&1 || continue
        if "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
            command -v "$c"; return 0
        fi
    done
    return 1
}

if [ ! -x "$VENV/bin/python" ]; then
    PY=$(pick_python) || { echo "!! 需要 Python ≥ 3.12" >&2; exit 1; }
    echo "==> 创建虚拟环境 $VENV ($("$PY" --version))"
    "$PY" -m venv "$VENV"
fi
stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    echo "==> 安装 Python 依赖"
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q -e ".[dev]"
    rm -f "$VENV"/.installed-* && touch "$stamp"
fi

if [ -f package.json ]; then
    stamp_js="node_modules/.installed-$(sha256sum package.json package-lock.json 2>/dev/null | sha256sum | cut -c1-16)"
    if [ ! -f "$stamp_js" ]; then
        echo "==> 安装前端资源 (npm)"
        if [ -f package-lock.json ]; then npm ci --silent --no-audit --no-fund; else npm install --silent --no-audit --no-fund; fi
        rm -f node_modules/.installed-* && touch "$stamp_js"
    fi
fi
echo "==> 环境就绪"
