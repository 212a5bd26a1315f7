# Sourced by the bench scripts: set finished work aside instead of deleting it while anything
# is being measured. On ext4 without a journal (this kind of VM) a file created within a
# minute or so of many deletions makes the kernel skip every recently freed inode
# (recently_deleted()), which cost the server measured next up to half its CPU: deleting a
# round's Maildir files slowed whichever server ran after it. Renames into bench/tmp/graveyard
# cost nothing of the kind; the graveyard is emptied once the measuring is over.
graveyard=$(realpath -m "$(dirname "${BASH_SOURCE[0]}")/tmp/graveyard")

# Moves each PATH (a file or a directory tree) into the graveyard; missing ones are skipped.
bury() {
	local path grave
	grave=$(mktemp -d -p "$(mkdir -p "$graveyard" && echo "$graveyard")")
	for path in "$@"; do
		[ -e "$path" ] && mv "$path" "$grave/"
	done
	return 0
}

# Moves every file directly in DIR (a Maildir's new/, say) into the graveyard.
bury_files() {
	local grave
	[ -d "$1" ] || return 0
	grave=$(mktemp -d -p "$(mkdir -p "$graveyard" && echo "$graveyard")")
	find "$1" -mindepth 1 -maxdepth 1 -type f -exec mv -t "$grave" {} +
}

# Deletes what was buried: call when nothing is measured any more.
graveyard_clear() { rm -rf "$graveyard"; }
