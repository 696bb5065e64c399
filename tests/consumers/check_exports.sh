#!/bin/sh
# The DLL exports exactly the public API: every exported symbol demangles to
# something in namespace localsock (or its std::is_error_code_enum opt-in).
#   check_exports.sh OBJDUMP DLL
set -eu
objdump=$1
dll=$2
exports=$("$objdump" -p "$dll" | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' | sed -n 's/^[[:space:]]*\[ *[0-9]*\] //p')
[ -n "$exports" ] || { echo "no exports found in $dll"; exit 1; }
foreign=$(printf '%s\n' "$exports" | c++filt | grep -v 'localsock::' || true)
count=$(printf '%s\n' "$exports" | wc -l)
if [ -n "$foreign" ]; then
    echo "$dll exports symbols outside the public API:"
    printf '%s\n' "$foreign"
    exit 1
fi
echo "$dll: $count exports, all in namespace localsock"
