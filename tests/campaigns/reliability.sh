#!/usr/bin/env bash
# Writes docs/reliability.md (to stdout) from the fault campaigns' own output:
# the "campaign NAME PART key=value..." and "reproduce: ..." lines that every
# campaign script prints (tests/campaigns/*.sh), nothing typed by hand but the
# frame. Run by scripts/campaigns.sh.
#
# usage: reliability.sh LOGDIR SRC_DIR
#   LOGDIR holds run.meta (lines "key value": date, machine, load, wall_s:
#   of the last run of all campaigns; absent keys print as "?") and, per
#   campaign, NAME.log (its output), NAME.script (the script that ran,
#   relative to SRC_DIR), NAME.when (date, commit, load), NAME.wall (seconds)
#   and NAME.rc (its exit status).
set -euo pipefail
L=$1 SRC=$2
meta() { local v; v=$(sed -n "s/^$1 //p" "$L/run.meta" 2>/dev/null); echo "${v:-?}"; }
# Every campaign line of every log, as "log<TAB>line".
lines() { for f in "$L"/*.log; do [ -f "${f%.log}.rc" ] || continue; grep -E "^campaign [^ ]+ [^ ]+ [a-z_]+=" "$f" | sed "s/^campaign /$(basename "$f" .log)\t/"; done; }
sum() { # KEY: the sum of KEY=N over all campaign lines
	lines | grep -o " $1=[0-9]*" | awk -F= '{ s += $2 } END { print s + 0 }'
}

cat <<EOF
# Reliability: the fault campaigns and what they found

Written by \`scripts/campaigns.sh\` from the campaigns' own output
($(if [ -f "$L/run.meta" ]; then
	echo "last run of all of them: $(meta date), $(meta machine), load average $(meta load), $(meta wall_s) s in all"
else
	echo "these logs hold no run of all of them in one go: the campaigns ran one by one with --only"
fi); each campaign below says when and on which commit it ran).
Do not edit by hand: run \`scripts/campaigns.sh\` again. Each campaign is a
script under \`tests/campaigns/\`; the normal test suite runs a fast subset of
each (\`ctest -L campaign\`), and the line under each table reruns that part.

A *brick* is a board that boots nothing good; *wrong* an image committed or
running that is not a release byte for byte (or an outcome other than the one
the case must end in); *unconfirmed* an unconfirmed image running outside a
trial; *failures* any other broken check of the campaign.

## Totals

| cases | faults injected | bricks | wrong | unconfirmed | failures |
| ---: | ---: | ---: | ---: | ---: | ---: |
| $(sum cases) | $(sum faults) | $(sum bricks) | $(sum wrong) | $(sum unconfirmed) | $(sum failures) |

EOF

for log in "$L"/*.log; do
	name=$(basename "$log" .log)
	[ -f "$L/$name.rc" ] || { echo "reliability: $name has not finished: left out" >&2; continue; }
	script=$(cat "$L/$name.script")
	rc=$(cat "$L/$name.rc")
	if [ "$rc" = 0 ] && grep -E '^campaign .* stopped_early=1' "$log" >/dev/null; then
		verdict="passed; a part was stopped before its planned count (see its row)"
	elif [ "$rc" = 0 ]; then verdict=passed
	elif grep -E '^campaign .* stopped_early=1' "$log" >/dev/null &&
		! grep -E '^campaign .* (bricks|wrong|unconfirmed|failures)=[1-9]' "$log" >/dev/null; then
		verdict="stopped before its planned count (exit $rc), no violation in the cases run"
	else verdict="FAILED (exit $rc)"; fi
	echo "## $name: $verdict"
	echo
	echo "Ran $(cat "$L/$name.when"), in $(cat "$L/$name.wall") s."
	echo
	# The script's own header comment says what the campaign does.
	sed -n '2,/^[^#]/{/^#/!d; s/^# \{0,1\}//; /^usage:/,$d; p}' "$SRC/$script" | sed '/^$/q' |
		tr '\n' ' ' | sed 's/  */ /g; s/ $//'
	echo " (\`$script\`)"
	echo
	echo "| part | cases | faults | outcomes | violations |"
	echo "| --- | ---: | ---: | --- | --- |"
	awk '
	/^campaign [^ ]+ [^ ]+ [a-z_]+=/ {
		part = $3; cases = "-"; faults = "-"; out = ""; bad = ""
		for (i = 4; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "cases") cases = kv[2]
			else if (kv[1] == "faults") faults = kv[2]
			else if (kv[1] ~ /^(bricks|wrong|unconfirmed|failures)$/) bad = bad (bad ? ", " : "") $i
			else out = out (out ? ", " : "") $i
		}
		printf "| %s | %s | %s | %s | %s |\n", part, cases, faults, out, bad
	}' "$log"
	echo
	echo "Reproduce (one line per part):"
	echo
	# paths relative to the checkout the campaign ran from (the first path
	# with /tests/ in it tells where that was)
	sed -n 's/^reproduce: //p' "$log" | while read -r line; do
		root=$(printf '%s\n' "$line" | grep -oE '(^| )/[^ ]*/tests/' | head -n 1 || true)
		root=${root# }
		root=${root%/tests/}
		[ -n "$root" ] || root=$SRC
		# and the logs' folder shown as the default one
		printf '    %s\n' "$line" | sed "s#$L/#build/campaigns/#g; s#$root/##g; s#$root\( \|$\)#.\1#g"
	done
	echo
	if [ "$rc" != 0 ]; then
		echo "Its last lines:"
		echo
		tail -n 15 "$log" | sed 's/^/    /'
		echo
	fi
done
