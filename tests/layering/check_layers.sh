#!/usr/bin/env bash
# The layering rules the build cannot see by itself (docs/architecture.md), as the ctest
# layering_headers:
#  1. only pki/crypto (and pki/service, for TLS) includes <openssl/...>: no other pki folder,
#     no command in tools/, no public header;
#  2. every public header in include/swarmpki/ declares its layer, compiles on its own when
#     compiled as that layer (so it includes nothing from above), and reaches no OpenSSL header
#     even indirectly (g++/clang++ -H print every header opened).
# Usage: check_layers.sh CXX SOURCE_DIR
set -uo pipefail
cxx=$1 src=$2
fail=0

while IFS= read -r file; do
    case $file in
        "$src"/pki/crypto/* | "$src"/pki/service/*) ;;
        *) echo "$file: includes an OpenSSL header outside pki/crypto and pki/service"; fail=1 ;;
    esac
done < <(grep -rlE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<openssl/' \
             "$src/pki" "$src/tools" "$src/include")

for header in "$src"/include/swarmpki/*.hpp; do
    name=swarmpki/${header##*/}
    layer=$(sed -nE 's/^#if defined\(SWARMPKI_LAYER\) && SWARMPKI_LAYER < ([1-9])$/\1/p' "$header")
    if [[ -z $layer ]] && grep -q '^// Util layer (1)' "$header"; then layer=1; fi
    if [[ -z $layer ]]; then
        echo "$name: declares no layer (see include/swarmpki/time.hpp or inspect.hpp)"
        fail=1
        continue
    fi
    if ! out=$(printf '#include "%s"\n' "$name" |
               "$cxx" -std=c++20 -fsyntax-only -H -x c++ -I "$src/include" \
                      -DSWARMPKI_LAYER="$layer" - 2>&1); then
        echo "$name: does not compile alone as layer $layer:"
        grep -v '^\.' <<<"$out" | head -5
        fail=1
        continue
    fi
    if grep -q 'openssl/' <<<"$out"; then
        echo "$name: reaches $(grep -m1 -o '[^ ]*openssl/[^ ]*' <<<"$out")"
        fail=1
    fi
done

[[ $fail == 0 ]] && echo "layering: OpenSSL only in pki/crypto and pki/service; every public header at its layer, OpenSSL-free"
exit $fail
