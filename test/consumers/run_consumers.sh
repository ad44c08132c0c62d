#!/usr/bin/env bash
# test/consumers/run_consumers.sh: installs the built library into a temporary
# staging prefix (meson install --destdir) and builds and runs the downstream
# projects next to this script against it:
#   pkgconfig/         c++ main.cpp $(pkg-config --cflags --libs autoconv), shared and
#                      static (pkg-config --static), run
#   cmake/             find_package(autoconv) + autoconv::autoconv (and autoconv_static)
#   meson_subproject/  once through the installed autoconv.pc, once with autoconv as a
#                      subproject (subprojects/autoconv -> this source tree, offline)
# Usage (from test/consumers/meson.build): run_consumers.sh BUILD_ROOT SOURCE_ROOT PREFIX LIBDIR INCLUDEDIR
set -euo pipefail

build_root=$1 source_root=$2 prefix=$3 libdir=$4 includedir=$5
here=$(cd "$(dirname "$0")" && pwd)
# meson test points LD_LIBRARY_PATH at the build tree's lib/; the consumers must load
# the installed copy instead.
unset LD_LIBRARY_PATH

work=$(mktemp -d "${TMPDIR:-/tmp}/autoconv-consumers.XXXXXX")
trap 'rm -rf "$work"' EXIT
step() { echo "== $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in pkg-config cmake meson ninja; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/setup.sh installs it)"
done
cxx=${CXX:-c++}

# The installed tree, in a staging directory: <work>/stage<prefix>/...
step "meson install --destdir (prefix $prefix)"
meson install -C "$build_root" --no-rebuild --quiet --destdir "$work/stage" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; fail "meson install"; }
root=$work/stage$prefix
[[ $libdir = /* ]] && lib=$work/stage$libdir || lib=$root/$libdir
[[ $includedir = /* ]] && inc=$work/stage$includedir || inc=$root/$includedir
for f in "$inc/autoconv/autoconv.hpp" "$inc/autoconv/version.hpp" "$inc/autoconv/eigen.hpp" \
         "$lib/pkgconfig/autoconv.pc" "$lib/cmake/autoconv/autoconvConfig.cmake" \
         "$lib/cmake/autoconv/autoconvConfigVersion.cmake"; do
  [ -f "$f" ] || fail "not installed: ${f#"$work/stage"}"
done
ls "$lib"/libautoconv.so* >/dev/null 2>&1 || fail "no shared library installed in ${lib#"$work/stage"}"
[ -f "$lib/libautoconv.a" ] || fail "no static library installed in ${lib#"$work/stage"}"
ls "$root"/share/doc/autoconv/examples/*.cpp >/dev/null 2>&1 || fail "examples not installed under share/doc/autoconv/examples"
echo "installed: $(cd "$work/stage" && find . -type f | wc -l) files"

# Runs a consumer program; it prints one line and exits non-zero on a wrong number.
run() { "$@" || fail "$* exited with $?"; }

# 1. pkg-config + a plain compiler command. autoconv.pc is relocatable by default
#    (prefix=${pcfiledir}/../../.., meson's pkgconfig.relocatable), so the staged copy
#    is found where it lies; a build configured with -Dpkgconfig.relocatable=false
#    gets a copy with the staging prefix written in. eigen3 and fftw3 come from the
#    system's pkg-config path.
step "pkg-config consumer"
pcdir=$lib/pkgconfig
if ! grep -q '^prefix=${pcfiledir}' "$pcdir/autoconv.pc"; then
  mkdir "$work/pcdir"
  sed "s|^prefix=.*|prefix=$root|" "$pcdir/autoconv.pc" >"$work/pcdir/autoconv.pc"
  pcdir=$work/pcdir
fi
export PKG_CONFIG_PATH=$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
pc=(pkg-config)
echo "cflags: $("${pc[@]}" --cflags autoconv)"
echo "libs: $("${pc[@]}" --libs autoconv)"
echo "static libs: $("${pc[@]}" --static --libs autoconv)"
mkdir "$work/pc"
# shellcheck disable=SC2046
$cxx -std=c++17 -O1 "$here/pkgconfig/main.cpp" -o "$work/pc/app" $("${pc[@]}" --cflags --libs autoconv)
LD_LIBRARY_PATH=$lib run "$work/pc/app"
[[ $(LD_LIBRARY_PATH=$lib ldd "$work/pc/app") = *"$lib/libautoconv.so"* ]] || fail "pkg-config app did not load the staged libautoconv.so"
# Static: the same link line from --static, with libautoconv.a named explicitly (a plain
# -lautoconv would pick the .so); everything else must come from Libs.private/Requires.private.
static_libs=$("${pc[@]}" --static --libs autoconv | sed 's/-lautoconv\b/-l:libautoconv.a/')
# shellcheck disable=SC2046,SC2086
$cxx -std=c++17 -O1 "$here/pkgconfig/main.cpp" -o "$work/pc/app_static" $("${pc[@]}" --cflags autoconv) $static_libs
run "$work/pc/app_static"
[[ $(ldd "$work/pc/app_static") != *libautoconv* ]] || fail "static app still needs libautoconv.so"

# 2. CMake: find_package(autoconv) through CMAKE_PREFIX_PATH, shared and static targets.
step "CMake consumer"
cmake -S "$here/cmake" -B "$work/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$root" -DWITH_STATIC=ON \
  -DCMAKE_BUILD_TYPE=Release >"$work/cmake.log" 2>&1 || {
  cat "$work/cmake.log"
  if [ "$libdir" = lib64 ] && [ -f /etc/debian_version ]; then
    echo "hint: this build installs into lib64, which CMake (and the loader) do not search on Debian;" \
         "meson picks lib/<multiarch> when dpkg-architecture (dpkg-dev) is installed: install it and" \
         "configure a new build directory" >&2
  fi
  fail "cmake configure"
}
grep "autoconv .* from" "$work/cmake.log" || true
cmake --build "$work/cmake" >"$work/cmake-build.log" 2>&1 || { cat "$work/cmake-build.log"; fail "cmake build"; }
run "$work/cmake/app"          # no LD_LIBRARY_PATH: CMake's build rpath names the staged libdir
run "$work/cmake/app_static"
[[ $(ldd "$work/cmake/app") = *"$lib/libautoconv.so"* ]] || fail "CMake app did not load the staged libautoconv.so"
[[ $(ldd "$work/cmake/app_static") != *libautoconv* ]] || fail "CMake app_static still needs libautoconv.so"

# 3. meson: the same project twice, (a) finding the installed autoconv.pc, (b) with
#    autoconv as a subproject built from this source tree (a symlink: offline).
step "meson consumer, installed autoconv.pc"
cp -r "$here/meson_subproject" "$work/msrc"
meson setup "$work/mpc" "$work/msrc" -Dpkg_config_path="$pcdir" >"$work/mpc.log" 2>&1 ||
  { cat "$work/mpc.log"; fail "meson setup (pkg-config)"; }
grep -q "Run-time dependency autoconv found: YES" "$work/mpc.log" || { cat "$work/mpc.log"; fail "meson did not find autoconv.pc"; }
ninja -C "$work/mpc" >"$work/mpc-build.log" 2>&1 || { cat "$work/mpc-build.log"; fail "meson build (pkg-config)"; }
# meson's build rpath only covers its own build tree for pkg-config libraries: LD_LIBRARY_PATH.
LD_LIBRARY_PATH=$lib run "$work/mpc/app"

step "meson consumer, autoconv as a subproject"
mkdir -p "$work/msrc/subprojects"
ln -s "$source_root" "$work/msrc/subprojects/autoconv"
meson setup "$work/msub" "$work/msrc" --force-fallback-for=autoconv >"$work/msub.log" 2>&1 ||
  { cat "$work/msub.log"; fail "meson setup (subproject)"; }
grep -q "Executing subproject autoconv" "$work/msub.log" || { cat "$work/msub.log"; fail "the subproject was not used"; }
ninja -C "$work/msub" >"$work/msub-build.log" 2>&1 || { cat "$work/msub-build.log"; fail "meson build (subproject)"; }
run "$work/msub/app"

echo "all consumers built and ran against autoconv $(cat "$inc/autoconv/version.hpp" | sed -n 's/#define AUTOCONV_VERSION_STRING "\(.*\)"/\1/p')"
