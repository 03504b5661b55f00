package web

import "github.com/amends/amends"

// The review page shows what changed since the version before as a line diff (the longest
// common subsequence of lines, amends.DiffLines, which the store computes for every version).
// Here it is laid out for reading: each line numbered in the old and the new text, removed
// lines in <del> and added ones in <ins> with a sign and words for screen readers, so the
// change never rests on colour alone, and long unchanged stretches folded away.

// diffContext is how many unchanged lines are kept on either side of a change.
const diffContext = 2

// diffRow is one row of a diff as the page shows it.
type diffRow struct {
	Op     string // "same", "del", "ins", or "fold" for unchanged lines left out
	Old    int    // the line's number in the old text, 0 when it is not there
	New    int    // the line's number in the new text, 0 when it is not there
	Text   string
	Folded int // for "fold": how many unchanged lines it stands for
}

// diffView is the change from one text to the next.
type diffView struct {
	Rows           []diffRow
	Added, Removed int
}

// Changed reports whether the texts differ.
func (d diffView) Changed() bool { return d.Added+d.Removed > 0 }

// newDiff numbers the lines of a line diff and folds the unchanged lines that are more than
// diffContext lines away from any change. A diff without changes has no rows.
func newDiff(lines []amends.DiffLine) diffView {
	var d diffView
	rows := make([]diffRow, len(lines))
	old, new := 0, 0
	for i, l := range lines {
		switch l.Op {
		case "-":
			old++
			d.Removed++
			rows[i] = diffRow{Op: "del", Old: old, Text: l.Text}
		case "+":
			new++
			d.Added++
			rows[i] = diffRow{Op: "ins", New: new, Text: l.Text}
		default:
			old++
			new++
			rows[i] = diffRow{Op: "same", Old: old, New: new, Text: l.Text}
		}
	}
	if !d.Changed() {
		return d
	}
	// near[i] is whether line i is within diffContext lines of a change.
	near := make([]bool, len(rows))
	for i, r := range rows {
		if r.Op == "same" {
			continue
		}
		for j := max(0, i-diffContext); j <= min(len(rows)-1, i+diffContext); j++ {
			near[j] = true
		}
	}
	for i := 0; i < len(rows); {
		if near[i] || rows[i].Op != "same" {
			d.Rows = append(d.Rows, rows[i])
			i++
			continue
		}
		j := i
		for j < len(rows) && !near[j] && rows[j].Op == "same" {
			j++
		}
		d.Rows = append(d.Rows, diffRow{Op: "fold", Old: rows[i].Old, New: rows[i].New, Folded: j - i})
		i = j
	}
	return d
}
