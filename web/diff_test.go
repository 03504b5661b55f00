package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/amends/amends"
)

// rowsText writes a diff's rows one a line: op, old and new line numbers, text or fold size.
func rowsText(d diffView) string {
	var b strings.Builder
	for _, r := range d.Rows {
		if r.Op == "fold" {
			fmt.Fprintf(&b, "fold %d,%d ×%d\n", r.Old, r.New, r.Folded)
			continue
		}
		fmt.Fprintf(&b, "%s %d,%d %s\n", r.Op, r.Old, r.New, r.Text)
	}
	return b.String()
}

func lines(prefix string, from, to int) string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("%s%d", prefix, i))
	}
	return strings.Join(out, "\n")
}

func TestDiff(t *testing.T) {
	for _, c := range []struct {
		name, old, new string
		want           string
		added, removed int
	}{
		{"same", "a\nb", "a\nb", "", 0, 0},
		{"both empty", "", "", "", 0, 0},
		{"from nothing", "", "a", "del 1,0 \nins 0,1 a\n", 1, 1},
		{"one line changed", "subject\n\nWe are sorry.\nBye", "subject\n\nWe are truly sorry.\nBye",
			"same 1,1 subject\nsame 2,2 \ndel 3,0 We are sorry.\nins 0,3 We are truly sorry.\nsame 4,4 Bye\n", 1, 1},
		{"line added", "a\nb\nc", "a\nb\nx\nc", "same 1,1 a\nsame 2,2 b\nins 0,3 x\nsame 3,4 c\n", 1, 0},
		{"line removed", "a\nb\nc", "a\nc", "same 1,1 a\ndel 2,0 b\nsame 3,2 c\n", 0, 1},
		{"lines moved", "a\nb\nc", "c\na\nb", "ins 0,1 c\nsame 1,2 a\nsame 2,3 b\ndel 3,0 c\n", 1, 1},
		{"unchanged stretches folded", lines("l", 1, 10) + "\nold\n" + lines("m", 1, 10), lines("l", 1, 10) + "\nnew\n" + lines("m", 1, 10),
			"fold 1,1 ×8\nsame 9,9 l9\nsame 10,10 l10\ndel 11,0 old\nins 0,11 new\nsame 12,12 m1\nsame 13,13 m2\nfold 14,14 ×8\n", 1, 1},
		{"a fold between two changes", "x\n" + lines("l", 1, 8) + "\ny", "X\n" + lines("l", 1, 8) + "\nY",
			"del 1,0 x\nins 0,1 X\nsame 2,2 l1\nsame 3,3 l2\nfold 4,4 ×4\nsame 8,8 l7\nsame 9,9 l8\ndel 10,0 y\nins 0,10 Y\n", 2, 2},
		{"short gaps are not folded", "x\na\nb\nc\nd\ny", "X\na\nb\nc\nd\nY",
			"del 1,0 x\nins 0,1 X\nsame 2,2 a\nsame 3,3 b\nsame 4,4 c\nsame 5,5 d\ndel 6,0 y\nins 0,6 Y\n", 2, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := newDiff(amends.DiffLines(c.old, c.new))
			if got := rowsText(d); got != c.want {
				t.Errorf("rows:\n%s\nwant:\n%s", got, c.want)
			}
			if d.Added != c.added || d.Removed != c.removed || d.Changed() != (c.added+c.removed > 0) {
				t.Errorf("added %d, removed %d (changed %v), want %d, %d", d.Added, d.Removed, d.Changed(), c.added, c.removed)
			}
		})
	}
}

// TestDiffRowsCoverBothTexts checks, on texts that differ in many ways, that the rows (with
// the folds expanded) give back the old text from its side and the new one from its side.
func TestDiffRowsCoverBothTexts(t *testing.T) {
	old := "Hello,\n\nWe made a mistake.\nIt was small.\n\nSorry for any inconvenience.\n\n" + lines("p", 1, 12) + "\nana"
	new := "Hello {{name}},\n\nWe made a mistake.\n\nWe are sorry.\n\n" + lines("p", 1, 5) + "\nchanged\n" + lines("p", 7, 12) + "\nana\nPS"
	diff := amends.DiffLines(old, new)
	d := newDiff(diff)
	oldLines, newLines := strings.Split(old, "\n"), strings.Split(new, "\n")
	var gotOld, gotNew []string
	for _, r := range d.Rows {
		switch r.Op {
		case "fold":
			gotOld = append(gotOld, oldLines[r.Old-1:r.Old-1+r.Folded]...)
			gotNew = append(gotNew, newLines[r.New-1:r.New-1+r.Folded]...)
		case "del":
			gotOld = append(gotOld, r.Text)
		case "ins":
			gotNew = append(gotNew, r.Text)
		default:
			gotOld, gotNew = append(gotOld, r.Text), append(gotNew, r.Text)
			if oldLines[r.Old-1] != r.Text || newLines[r.New-1] != r.Text {
				t.Errorf("line numbers %d,%d do not hold %q", r.Old, r.New, r.Text)
			}
		}
	}
	if strings.Join(gotOld, "\n") != old || strings.Join(gotNew, "\n") != new {
		t.Errorf("the rows do not give back the texts:\nold %q\nnew %q", strings.Join(gotOld, "\n"), strings.Join(gotNew, "\n"))
	}
	if len(d.Rows) >= len(diff) {
		t.Errorf("nothing folded: %d rows for %d lines", len(d.Rows), len(diff))
	}
}
