package web

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/store"
)

// call is one request of a test as a particular person, with an ordinary form or, when file
// is set, a multipart upload: the form's fields first, then the file, as the upload pages'
// forms send them.
type call struct {
	method, path string
	user         *amends.User // nil for signed out
	form         url.Values
	file         *csvFile
	csrf         string // "" sends the session's token, "-" none, anything else as the token
	header       map[string]string
}

type csvFile struct{ name, body string }

// user returns the user called name, creating them with role the first time.
func (a *testApp) user(t *testing.T, name string, role amends.Role) *amends.User {
	t.Helper()
	users, err := a.store.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Name == name {
			return u
		}
	}
	u, err := a.store.CreateUser(context.Background(), name, role, testPassword, setupActor)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// call sends c without following redirects and returns the answer with its body read.
func (a *testApp) call(t *testing.T, c call) (*http.Response, string) {
	t.Helper()
	form := url.Values{}
	for k, v := range c.form {
		form[k] = v
	}
	var cookie *http.Cookie
	if c.user != nil {
		id, sess, err := a.store.CreateSession(context.Background(), c.user)
		if err != nil {
			t.Fatal(err)
		}
		cookie = &http.Cookie{Name: sessionCookie, Value: id}
		switch c.csrf {
		case "":
			form.Set("csrf", sess.CSRF)
		case "-":
		default:
			form.Set("csrf", c.csrf)
		}
	}
	var body io.Reader
	ctype := ""
	switch {
	case c.file != nil:
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		if v, ok := form["csrf"]; ok { // first, as the page's form has it
			mw.WriteField("csrf", v[0])
		}
		for k, vs := range form {
			if k == "csrf" {
				continue
			}
			for _, v := range vs {
				mw.WriteField(k, v)
			}
		}
		fw, err := mw.CreateFormFile("file", c.file.name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(fw, c.file.body)
		mw.Close()
		body, ctype = &buf, mw.FormDataContentType()
	case c.method != http.MethodGet:
		body, ctype = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	}
	r, err := http.NewRequest(c.method, a.srv.URL+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	if cookie != nil {
		r.AddCookie(cookie)
	}
	for k, v := range c.header {
		r.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func (a *testApp) customerCount(t *testing.T) int {
	t.Helper()
	n, err := a.store.CountCustomers(context.Background(), amends.CustomerFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// lineCell matches the line number of a row of the bad-rows table.
var lineCell = regexp.MustCompile(`<th scope="row" data-label="Line">(\d+)</th>`)

func TestCustomersPage(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("15:00")))
	ana, vic := a.users[amends.Responder], a.users[amends.Viewer]
	bad := &csvFile{"customers.csv", "email,name,account\nann@example.com,Ann,acme\nnot-an-email,Bob,acme\n" +
		"ann@example.com,Ann again,acme\ncy@example.com,\"Cy\nTwo lines\",globex\n"}
	good := &csvFile{"customers.csv", "email,name,account,segments\nann@example.com,Ann,acme,enterprise\n" +
		"bob@example.com,<script>alert(1)</script>,acme,\ncy@example.com,Cy,globex,enterprise;eu\n"}

	cases := []struct {
		name       string
		c          call
		wantStatus int
		want       []string
		wantCount  int    // customers stored afterwards
		wantLines  string // the lines of the bad rows listed
	}{
		{"viewer reads the list", call{method: "GET", path: "/customers", user: vic}, 200, []string{"0 customers", "No customers yet."}, 0, ""},
		{"viewer cannot upload", call{method: "POST", path: "/customers/import", user: vic, file: good}, 403, []string{"your role is viewer"}, 0, ""},
		{"upload without CSRF token", call{method: "POST", path: "/customers/import", user: ana, file: good, csrf: "-"}, 403, []string{"reload the page"}, 0, ""},
		{"upload with a forged token", call{method: "POST", path: "/customers/import", user: ana, file: good, csrf: "forged"}, 403, nil, 0, ""},
		{"upload from another site", call{method: "POST", path: "/customers/import", user: ana, file: good,
			header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, 403, nil, 0, ""},
		{"signed out upload", call{method: "POST", path: "/customers/import", file: good}, 303, nil, 0, ""},
		{"not multipart", call{method: "POST", path: "/customers/import", user: ana, form: url.Values{"skip_bad": {"1"}}}, 400,
			[]string{"multipart/form-data"}, 0, ""},
		{"no file chosen", call{method: "POST", path: "/customers/import", user: ana, file: &csvFile{"", ""}}, 400, []string{"choose a CSV file"}, 0, ""},
		{"no email column", call{method: "POST", path: "/customers/import", user: ana, file: &csvFile{"x.csv", "name\nAnn\n"}}, 400,
			[]string{"Nothing was imported", "no email column"}, 0, ""},
		{"bad rows: nothing imported", call{method: "POST", path: "/customers/import", user: ana, file: bad}, 400,
			[]string{"Nothing was imported", "3 bad rows of 4", "is not an email address", "duplicate: ann@example.com is also on line 2", "must be one line",
				`<td data-label="Column">email</td>`, `<input type="checkbox" name="skip_bad" value="1">`}, 0, "3,4,5"},
		{"bad rows skipped", call{method: "POST", path: "/customers/import", user: ana, file: bad, form: url.Values{"skip_bad": {"1"}}}, 200,
			[]string{"Imported 1 new", "skipped 3 bad rows of 4", `name="skip_bad" value="1" checked`}, 1, ""},
		{"known customer without update", call{method: "POST", path: "/customers/import", user: ana, file: good}, 400,
			[]string{"already a customer; import with update"}, 1, ""},
		{"clean import with update", call{method: "POST", path: "/customers/import", user: ana, file: good, form: url.Values{"update": {"1"}}}, 303, nil, 3, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := a.call(t, c.c)
			if resp.StatusCode != c.wantStatus {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, c.wantStatus, body)
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("the answer lacks %q:\n%s", w, body)
				}
			}
			if n := a.customerCount(t); n != c.wantCount {
				t.Errorf("%d customers stored, want %d", n, c.wantCount)
			}
			if c.wantLines != "" {
				var lines []string
				for _, m := range lineCell.FindAllStringSubmatch(body, -1) {
					lines = append(lines, m[1])
				}
				if got := strings.Join(lines, ","); got != c.wantLines {
					t.Errorf("bad rows reported on lines %s, want %s", got, c.wantLines)
				}
			}
		})
	}

	// A clean import goes back to the list (POST-redirect-GET), which says what it did.
	resp, _ := a.call(t, call{method: "POST", path: "/customers/import", user: ana, file: good, form: url.Values{"update": {"1"}}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/customers?") {
		t.Fatalf("clean import: %d to %q", resp.StatusCode, loc)
	}
	_, body := a.call(t, call{method: "GET", path: loc, user: vic})
	for _, w := range []string{`id="done">Imported 0 new customers, 3 already as the file says.`, "3 customers", "bob@example.com",
		"&lt;script&gt;alert(1)&lt;/script&gt;"} {
		if !strings.Contains(body, w) {
			t.Errorf("the list lacks %q", w)
		}
	}
	if strings.Contains(body, "<script>alert") {
		t.Error("a customer's name is not escaped")
	}
	if strings.Contains(body, `action="/customers/import"`) {
		t.Error("a viewer is shown the upload form")
	}
	_, body = a.call(t, call{method: "GET", path: "/customers", user: ana})
	if !strings.Contains(body, `<form method="post" action="/customers/import" enctype="multipart/form-data"`) ||
		!strings.Contains(body, `<label for="import-file">`) {
		t.Error("a responder is not shown the upload form")
	}

	// Filters and paging.
	for _, f := range []struct{ query, want, not string }{
		{"?account=globex", "1 customer match", "ann@example.com"},
		{"?segment=enterprise", "2 customers match", "bob@example.com"},
		{"?segment=EU", "1 customer match", "ann@example.com"},
	} {
		_, body := a.call(t, call{method: "GET", path: "/customers" + f.query, user: vic})
		if !strings.Contains(body, f.want) || strings.Contains(body, f.not) {
			t.Errorf("%s: want %q and not %q", f.query, f.want, f.not)
		}
	}
	resp, body = a.call(t, call{method: "GET", path: "/customers?segment=no%20spaces", user: vic})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "may hold only a-z") || !strings.Contains(body, `value="no spaces"`) {
		t.Errorf("a bad segment filter: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := a.call(t, call{method: "GET", path: "/customers?after=x", user: vic}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a forged cursor: %d", resp.StatusCode)
	}
}

// TestCustomersPaging walks the list a page at a time.
func TestCustomersPaging(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("15:00")))
	var b strings.Builder
	b.WriteString("email,account\n")
	for i := range customerPageSize + 7 {
		b.WriteString("c" + strings.Repeat("x", i%3) + strconv.Itoa(i) + "@example.com,acme\n")
	}
	if _, err := a.store.ImportCustomers(context.Background(), strings.NewReader(b.String()), store.ImportOptions{}, setupActor); err != nil {
		t.Fatal(err)
	}
	_, body := a.call(t, call{method: "GET", path: "/customers?account=acme", user: a.users[amends.Viewer]})
	next := regexp.MustCompile(`href="(/customers\?[^"]+)" rel="next"`).FindStringSubmatch(body)
	if next == nil || !strings.Contains(next[1], "account=acme") || !strings.Contains(body, "57 customers match") {
		t.Fatalf("no next page link keeping the filter:\n%s", body)
	}
	_, body = a.call(t, call{method: "GET", path: strings.ReplaceAll(next[1], "&amp;", "&"), user: a.users[amends.Viewer]})
	if n := strings.Count(body, `<th scope="row" data-label="Email"`); n != 7 || strings.Contains(body, `rel="next"`) {
		t.Errorf("the last page has %d rows", n)
	}
}

// TestUploadRoutes checks that the upload routes, and only they, read more than the usual body.
func TestUploadRoutes(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("15:00")))
	for _, rt := range a.web.Routes() {
		want := uploads[rt.Method+" "+rt.Path]
		if rt.MaxBody != want {
			t.Errorf("%s %s reads %d bytes, want %d", rt.Method, rt.Path, rt.MaxBody, want)
		}
	}
	if len(uploads) != 3 {
		t.Errorf("%d upload routes", len(uploads))
	}
}
