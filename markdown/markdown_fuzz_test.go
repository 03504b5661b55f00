package markdown_test

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/amends/amends/markdown"
)

// FuzzHTML renders any text and parses the result the way a browser would (the HTML5
// parsing algorithm), then checks that nothing in it can run: no script element or
// literal "<script", no on* event attribute, no javascript: or vbscript: URL in any
// attribute, however it is cased, spaced or encoded as entities.
func FuzzHTML(f *testing.F) {
	for _, s := range []string{
		"hello <script>alert(1)</script> world",
		"[click](javascript:alert(1))",
		"[click](JaVaScRiPt:alert(1))",
		"[click]( java\tscript:alert(1))",
		"[click](&#106;avascript:alert(1))",
		"[x](vbscript:msgbox(1))",
		"<div onclick=\"x()\">hi</div>\n\ntext",
		"<img src=x onerror=alert(1)>",
		"![img](x\" onerror=\"alert(1))",
		"[x](data:text/html;base64,PHNjcmlwdD4=)",
		"<javascript:alert(1)>",
		"<a href=\"javascript:alert(1)\">x</a>",
		"## Root cause\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
		"- [x] done\n- [ ] todo\n",
		"[docs](https://example.com/a)",
		"https://example.com/autolink and www.example.com",
		"```html\n<script>alert(1)</script>\n```\n",
		"`<script>`",
		"[ref]\n\n[ref]: javascript:alert(1) \"title\"",
		"<svg><script>alert(1)</script></svg>",
		"<iframe src=\"javascript:alert(1)\"></iframe>",
		"<style>body{background:url(javascript:alert(1))}</style>",
		"> quote\n> <b onmouseover=alert(1)>x</b>",
		"*a **b** _c_ ~~d~~*\n\n1. one\n2. two\n\n---\n",
	} {
		f.Add(s)
	}
	r := markdown.New()
	f.Fuzz(func(t *testing.T, src string) {
		out := string(r.HTML(src))
		if strings.Contains(strings.ToLower(out), "<script") {
			t.Fatalf("output has <script:\n%s", out)
		}
		body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
		nodes, err := html.ParseFragment(strings.NewReader(out), body)
		if err != nil {
			t.Fatalf("output does not parse: %v\n%s", err, out)
		}
		for _, n := range nodes {
			checkHarmless(t, n, out)
		}
	})
}

func checkHarmless(t *testing.T, n *html.Node, out string) {
	if n.Type == html.ElementNode {
		switch strings.ToLower(n.Data) {
		case "script", "iframe", "object", "embed", "style", "svg", "math", "form", "base", "meta", "link":
			t.Fatalf("output has a <%s> element:\n%s", n.Data, out)
		}
		for _, a := range n.Attr {
			key := strings.ToLower(a.Key)
			if strings.HasPrefix(key, "on") {
				t.Fatalf("output has an event attribute %s=%q:\n%s", a.Key, a.Val, out)
			}
			if key == "style" || key == "srcdoc" || key == "formaction" {
				t.Fatalf("output has attribute %s=%q:\n%s", a.Key, a.Val, out)
			}
			if s := urlScheme(a.Val); s == "javascript:" || s == "vbscript:" {
				t.Fatalf("output has a %s URL in %s=%q:\n%s", s, a.Key, a.Val, out)
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		checkHarmless(t, c, out)
	}
}

// urlScheme returns the lower-cased scheme of v as a browser reads it (ignoring ASCII tabs,
// line breaks, spaces and control characters), with its colon, or "".
func urlScheme(v string) string {
	var b strings.Builder
	for _, r := range v {
		if r <= ' ' {
			continue
		}
		if r == ':' {
			return strings.ToLower(b.String()) + ":"
		}
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.') {
			return ""
		}
		b.WriteRune(r)
	}
	return ""
}
