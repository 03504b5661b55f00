package markdown_test

import (
	"strings"
	"testing"

	"github.com/amends/amends/markdown"
)

func TestRenderIsHarmless(t *testing.T) {
	r := markdown.New()
	for _, tc := range []struct {
		name, in   string
		want       []string
		mustNotHas []string
	}{
		{"script tag", "hello <script>alert(1)</script> world", []string{"hello"}, []string{"<script", "alert(1)</script>"}},
		{"javascript link", "[click](javascript:alert(1))", []string{"click"}, []string{"javascript:"}},
		{"html block", "<div onclick=\"x()\">hi</div>\n\ntext", []string{"text"}, []string{"onclick", "<div"}},
		{"img onerror", "<img src=x onerror=alert(1)>", nil, []string{"onerror"}},
		{"data link", "[x](data:text/html;base64,PHNjcmlwdD4=)", nil, []string{"data:text/html"}},
		{"headings and tables", "## Root cause\n\n| a | b |\n|---|---|\n| 1 | 2 |\n", []string{"<h2", "Root cause", "<table>", "<td>1</td>"}, nil},
		{"task list", "- [x] done\n- [ ] todo\n", []string{`<input`, `checked`, `type="checkbox"`}, nil},
		{"safe link", "[docs](https://example.com/a)", []string{`href="https://example.com/a"`, `rel="nofollow"`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(r.HTML(tc.in))
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("HTML(%q) = %q, want it to contain %q", tc.in, got, w)
				}
			}
			for _, w := range tc.mustNotHas {
				if strings.Contains(strings.ToLower(got), strings.ToLower(w)) {
					t.Errorf("HTML(%q) = %q, must not contain %q", tc.in, got, w)
				}
			}
		})
	}
}
