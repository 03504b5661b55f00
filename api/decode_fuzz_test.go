package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/amends/amends"
)

// decodeTargets are request types of the API, from flat to nested, each decoded from every
// fuzzed body.
var decodeTargets = []func() any{
	func() any { return new(createIncidentRequest) },
	func() any { return new(updateIncidentRequest) },
	func() any { return new(addEventRequest) },
	func() any { return new(groupRequest) },
	func() any { return new(actionRequest) },
	func() any { return new(genericAlert) },
	func() any {
		return new(struct {
			Targets []targetJSON `json:"targets"`
		})
	},
}

// FuzzDecode feeds any body to the API's JSON reader for several request types. The reader
// either fills the value from a body that is well-formed JSON, or refuses with an EInvalid
// error (a 400, never a 500) that says why; when the body is a well-formed JSON object, the
// refusal names the field at fault (a key of the body, as the client sent it). Alertmanager's lenient reader
// gets the same body and must also answer with a value or an EInvalid error.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"title":"Wrong renewal email sent","summary":"Renewal emails went to the wrong list","severity":2,"noticed_at":"2026-11-03T14:39:00Z"}`,
		`{"status":"identified","note":"segment filter inverted","severity":1}`,
		`{"kind":"note","body":"we found it","visibility":"public","corrects":3}`,
		`{"name":"Support","severities":[1,2],"events":["declared"]}`,
		`{"title":"Test the invoice run","kind":"prevention","owner":"ines","due":"2026-12-01","public":true}`,
		`{"key":"a","title":"t","started_at":"noon"}`,
		`{"targets":[{"severity":1,"colleagues_told":"soon"}]}`,
		`{"targets":[{"severity":"1"}]}`, `{"targets":{}}`, `{"severity":1e400}`, `{"severity":1.5}`,
		`{"title":"t","colour":"red"}`, `{"ti\"tle":1}`, `{"TITLE":"upper"}`, `{"a\u00e9":1}`, `{"\ud800":1}`,
		`{"title":"t"} {"title":"u"}`, `{"title":"t"}]`, `[]`, `null`, `"x"`, `1`, ``, ` `, `{`, `{"title":`,
		`{"title":"\xff"}`, "\xef\xbb\xbf{}", `{"title":"t","title":5}`, `{"components":[1]}`,
	} {
		f.Add(s)
	}
	for _, name := range []string{"testdata/alertmanager-firing.json", "testdata/alertmanager-resolved.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, body string) {
		object := json.Valid([]byte(body)) && strings.HasPrefix(strings.TrimSpace(body), "{")
		keys := map[string]bool{}
		if object {
			var doc any
			json.Unmarshal([]byte(body), &doc)
			collectKeys(doc, keys)
		}
		for _, newValue := range decodeTargets {
			v := newValue()
			err := decode(httptest.NewRecorder(), fuzzRequest(body), v)
			if err == nil {
				if !json.Valid([]byte(body)) {
					t.Fatalf("%T accepted a body that is not JSON: %q", v, body)
				}
				continue
			}
			e := checkRefusal(t, v, body, err)
			if object && e != nil && e.Field == "" && !keys[""] {
				t.Fatalf("%T refused the JSON object %q without naming a field: %v", v, body, err)
			}
			if object && e != nil && !namesKey(keys, e.Field) {
				t.Fatalf("%T refused %q naming field %q, which the body does not have", v, body, e.Field)
			}
		}
		var p alertmanagerPayload
		if err := decodeLenient(httptest.NewRecorder(), fuzzRequest(body), &p); err != nil {
			checkRefusal(t, &p, body, err)
		}
	})
}

func fuzzRequest(body string) *http.Request {
	r := httptest.NewRequest("POST", "/api/v1/fuzz", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// checkRefusal checks that err is an EInvalid error with a message (or the body-size error),
// which fail answers with a 4xx.
func checkRefusal(t *testing.T, v any, body string, err error) *amends.Error {
	t.Helper()
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		if len(body) <= MaxBody {
			t.Fatalf("%T: a body of %d bytes is called too big", v, len(body))
		}
		return nil
	}
	e := amends.ErrorOf(err)
	if e == nil || e.Code != amends.EInvalid || e.Message == "" {
		t.Fatalf("%T refused %q with %#v; want an EInvalid error with a message", v, body, err)
	}
	rec := httptest.NewRecorder()
	fail(rec, fuzzRequest(body), nil, err)
	if rec.Code != http.StatusBadRequest || !bytes.Contains(rec.Body.Bytes(), []byte(`"code":"invalid"`)) {
		t.Fatalf("%T: the refusal of %q answers %d %s", v, body, rec.Code, rec.Body)
	}
	return e
}

// collectKeys adds the keys of every object in a decoded JSON document to keys.
func collectKeys(v any, keys map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			keys[k] = true
			collectKeys(e, keys)
		}
	case []any:
		for _, e := range v {
			collectKeys(e, keys)
		}
	}
}

// namesKey reports whether field, or the last part of a dotted path such as
// "targets.severity", is one of the body's keys, matched without regard to case as
// encoding/json matches them. An empty field names nothing.
func namesKey(keys map[string]bool, field string) bool {
	if field == "" {
		return true // checked by the caller
	}
	last := field[strings.LastIndex(field, ".")+1:]
	for k := range keys {
		if strings.EqualFold(k, field) || strings.EqualFold(k, last) {
			return true
		}
	}
	return false
}
