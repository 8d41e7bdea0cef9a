#!/usr/bin/env bash
# Shows how the running kernel differs from a FastChat sysctl profile; changes it only with --apply.
#   tuning/apply-sysctl.sh tuning/linux/fastchat-sysctl.conf            # dry run: the diff
#   sudo tuning/apply-sysctl.sh tuning/linux/fastchat-sysctl.conf --apply
# Works on Linux and FreeBSD (both have sysctl -n KEY and sysctl KEY=VALUE).
set -uo pipefail
profile=${1:?usage: apply-sysctl.sh PROFILE [--apply]}
apply=${2:-}
[ -f "$profile" ] || { echo "no such profile: $profile" >&2; exit 2; }
same=0; differ=0; missing=0; failed=0
printf '%-48s %-28s %-28s %s\n' KEY RUNNING PROFILE STATUS
while IFS= read -r line; do
  line=${line%%#*}                                  # drop the reason comment
  [[ $line =~ ^[[:space:]]*$ ]] && continue
  key=$(sed -E 's/^[[:space:]]*([^=[:space:]]+)[[:space:]]*=.*/\1/' <<<"$line")
  want=$(sed -E 's/^[^=]*=[[:space:]]*//; s/[[:space:]]+$//; s/[[:space:]]+/ /g' <<<"$line")
  have=$(sysctl -n "$key" 2>/dev/null | tr -s '[:space:]' ' ' | sed -E 's/ $//')
  if [ -z "$have" ]; then
    status="not on this kernel"; missing=$((missing + 1))
  elif [ "$have" = "$want" ]; then
    status="same"; same=$((same + 1))
  else
    status="differs"; differ=$((differ + 1))
    if [ "$apply" = "--apply" ]; then
      if sysctl -w "$key=$want" >/dev/null 2>&1 || sysctl "$key=$want" >/dev/null 2>&1; then status="applied"
      else status="apply FAILED"; failed=$((failed + 1)); fi
    fi
  fi
  printf '%-48s %-28s %-28s %s\n' "$key" "${have:--}" "$want" "$status"
done < "$profile"
echo "same: $same, differs: $differ, not on this kernel: $missing${apply:+, failed: $failed}"
[ "$apply" = "--apply" ] || echo "dry run: nothing changed (add --apply to change the running kernel; persist by copying the profile to /etc/sysctl.d/)"
[ "$failed" -eq 0 ]
