package amends

import (
	"strings"
)

// DiffLine is one line of a line diff: Op is "=" (in both), "-" (only in the old text) or
// "+" (only in the new text).
type DiffLine struct {
	Op   string `json:"op"`
	Text string `json:"text"`
}

// maxDiffCells bounds the work of DiffLines; past it the diff is "all removed, all added".
const maxDiffCells = 4 << 20

// DiffLines returns the line diff that turns old into new (a longest common subsequence of
// lines), for reviewers to see what changed since the version before.
func DiffLines(old, new string) []DiffLine {
	a, b := strings.Split(old, "\n"), strings.Split(new, "\n")
	// Common head and tail lines are kept out of the table.
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	out := make([]DiffLine, 0, len(b)+4)
	for _, l := range a[:head] {
		out = append(out, DiffLine{"=", l})
	}
	ma, mb := a[head:len(a)-tail], b[head:len(b)-tail]
	if (len(ma)+1)*(len(mb)+1) > maxDiffCells {
		for _, l := range ma {
			out = append(out, DiffLine{"-", l})
		}
		for _, l := range mb {
			out = append(out, DiffLine{"+", l})
		}
	} else {
		// lcs[i][j] is the length of the longest common subsequence of ma[i:] and mb[j:].
		w := len(mb) + 1
		lcs := make([]int32, (len(ma)+1)*w)
		for i := len(ma) - 1; i >= 0; i-- {
			for j := len(mb) - 1; j >= 0; j-- {
				if ma[i] == mb[j] {
					lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
				} else {
					lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
				}
			}
		}
		i, j := 0, 0
		for i < len(ma) && j < len(mb) {
			switch {
			case ma[i] == mb[j]:
				out = append(out, DiffLine{"=", ma[i]})
				i, j = i+1, j+1
			case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
				out = append(out, DiffLine{"-", ma[i]})
				i++
			default:
				out = append(out, DiffLine{"+", mb[j]})
				j++
			}
		}
		for ; i < len(ma); i++ {
			out = append(out, DiffLine{"-", ma[i]})
		}
		for ; j < len(mb); j++ {
			out = append(out, DiffLine{"+", mb[j]})
		}
	}
	for _, l := range a[len(a)-tail:] {
		out = append(out, DiffLine{"=", l})
	}
	return out
}
