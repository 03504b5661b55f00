package ownership

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteText writes r the way compilers write errors, one finding per line:
//
//	draft.txt:3:14: passive-blame: passive voice hides who made the mistake
//		suggest: Put yourself in the sentence as the one who acted: …
//
// Line and column are 1-based; the column counts bytes, as Go's compiler does, so it
// agrees with Start and End. A finding for a missing element points where the text
// starts or ends. The last line sums up: the verdict, the score and what is missing.
func WriteText(w io.Writer, filename, text string, r Report) error {
	bw := bufio.NewWriter(w)
	for _, f := range r.Findings {
		line, col := position(text, f.Start)
		fmt.Fprintf(bw, "%s:%d:%d: %s: %s\n", filename, line, col, f.Rule, oneLine(f.Message))
		if f.Suggestion != "" {
			fmt.Fprintf(bw, "\tsuggest: %s\n", oneLine(f.Suggestion))
		}
	}
	var missing []string
	for _, e := range r.Elements {
		if !e.Present {
			missing = append(missing, e.Name)
		}
	}
	verdict := "owns the mistake"
	if r.Mode == Blameless {
		verdict = "is blameless"
	}
	if !r.Owns {
		verdict = "does not own the mistake"
		if r.Mode == Blameless {
			verdict = "is not blameless"
		}
	}
	fmt.Fprintf(bw, "%s: %s: score %d/100, %s", filename, verdict, r.Score, plural(len(r.Findings), "finding"))
	if len(missing) > 0 {
		fmt.Fprintf(bw, "; lacking %s", strings.Join(missing, ", "))
	}
	bw.WriteString("\n")
	return bw.Flush()
}

// position returns the 1-based line and byte column of offset in text.
func position(text string, offset int) (line, col int) {
	offset = max(0, min(offset, len(text)))
	before := text[:offset]
	line = strings.Count(before, "\n") + 1
	return line, offset - (strings.LastIndexByte(before, '\n') + 1) + 1
}

// oneLine keeps a message on its line whatever an organisation's rules file says.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
