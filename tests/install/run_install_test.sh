#!/usr/bin/env bash
# Proves that an install of adminara_obs is usable: installs a built build tree into a temporary
# prefix, then builds and runs tests/install/consumer against it twice, once as a CMake package
# (find_package(adminara_obs) + adminara::obs) and once with pkg-config (adminara-obs.pc), and
# checks that each prints the expected version. Removes everything it made on exit.
#
# Usage: run_install_test.sh <build-dir> <expected-version> [<c++ compiler>]
# (registered as the ctest `install`; the compiler defaults to $CXX, then g++.)
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 <build-dir> <expected-version> [<c++ compiler>]" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
expected=$2
cxx=${3:-${CXX:-g++}}
consumer=$(cd "$(dirname "${BASH_SOURCE[0]}")/consumer" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/adminara-obs-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
# run_quietly <log-name> <command...>: shows the command's output only when it fails.
run_quietly() {
  local log=$work/$1.log
  shift
  "$@" >"$log" 2>&1 || { cat "$log" >&2; fail "$*"; }
}
check_version() {  # <how> <printed version>
  [[ $2 == "$expected" ]] || fail "$1 consumer printed '$2', expected '$expected'"
  echo "ok: $1 consumer prints $2"
}

echo "installing $build_dir into $prefix"
run_quietly install cmake --install "$build_dir" --prefix "$prefix"

# CMake package.
run_quietly cmake-configure cmake -S "$consumer" -B "$work/cmake-build" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON -DCMAKE_FIND_PACKAGE_NO_SYSTEM_PACKAGE_REGISTRY=ON
found=$(sed -n 's/^adminara_obs_DIR:PATH=//p' "$work/cmake-build/CMakeCache.txt")
[[ $found == "$prefix"/* ]] || fail "find_package found adminara_obs in '$found', not under $prefix"
run_quietly cmake-build cmake --build "$work/cmake-build"
check_version "CMake (find_package)" "$("$work/cmake-build/app")"

# pkg-config. The .pc file is under the build's CMAKE_INSTALL_LIBDIR (lib on this layout).
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
export PKG_CONFIG_PATH=$prefix/${libdir:-lib}/pkgconfig
pc_version=$(pkg-config --modversion adminara-obs) || fail "pkg-config does not find adminara-obs"
[[ $pc_version == "$expected" ]] || fail "adminara-obs.pc has version '$pc_version'"
read -r -a pc_flags <<<"$(pkg-config --cflags --libs adminara-obs)"
run_quietly pkg-config-build "$cxx" -std=c++20 -o "$work/pkg-config-app" "$consumer/main.cc" \
  "${pc_flags[@]}"
check_version "pkg-config" "$("$work/pkg-config-app")"
