package amends_test

import (
	"strings"
	"testing"

	"github.com/amends/amends"
)

func TestSanitizeAttachmentName(t *testing.T) {
	for in, want := range map[string]string{
		"shot.png":               "shot.png",
		"../../etc/passwd":       "passwd",
		`C:\Users\ana\shot.png`:  "shot.png",
		"a\x00b\nc\u202e.txt":    "abc.txt",
		"":                       "attachment",
		"..":                     "attachment",
		"dir/":                   "attachment",
		strings.Repeat("é", 150): strings.Repeat("é", 100),
	} {
		if got := amends.SanitizeAttachmentName(in); got != want {
			t.Errorf("SanitizeAttachmentName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPreventionsOwned(t *testing.T) {
	open := amends.ActionItem{Kind: amends.ActionPrevention, State: amends.ActionOpen}
	done := amends.ActionItem{Kind: amends.ActionPrevention, State: amends.ActionDone}
	dropped := amends.ActionItem{Kind: amends.ActionPrevention, State: amends.ActionDropped}
	fix := amends.ActionItem{Kind: amends.ActionFix, State: amends.ActionOpen}
	for _, c := range []struct {
		items []amends.ActionItem
		want  bool
	}{
		{nil, false}, {[]amends.ActionItem{fix}, false}, {[]amends.ActionItem{dropped}, false},
		{[]amends.ActionItem{open}, true}, {[]amends.ActionItem{done, dropped}, true},
	} {
		if got := amends.PreventionsOwned(c.items); got != c.want {
			t.Errorf("PreventionsOwned(%+v) = %v, want %v", c.items, got, c.want)
		}
	}
}
