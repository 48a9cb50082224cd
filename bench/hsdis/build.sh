#!/bin/sh
# Builds bench/target/hsdis/hsdis-amd64.so, which lets -prof perfasm and -XX:+PrintAssembly show
# instructions instead of hex on JDK 25 (see hsdis-shim.c). Needs gcc and Debian's FCML plugin:
#   sudo apt-get install libhsdis0-fcml
# Then: LD_LIBRARY_PATH=bench/target/hsdis java -jar bench/target/benchmarks.jar ... -prof perfasm:events=cpu-clock
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../target/hsdis"
if [ ! -e /usr/lib/x86_64-linux-gnu/libhsdis.so.0 ]; then
    echo "libhsdis.so.0 not found: install Debian's libhsdis0-fcml first" >&2
    exit 1
fi
mkdir -p "$out"
gcc -shared -fPIC -O2 -Wall -Wextra -o "$out/hsdis-amd64.so" "$here/hsdis-shim.c" -ldl
echo "built $out/hsdis-amd64.so; run with LD_LIBRARY_PATH=$out"
