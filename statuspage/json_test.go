package statuspage_test

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/amends/amends"
	"github.com/amends/amends/statuspage"
)

// TestSchemaIsDocumented keeps docs/STATUS-JSON.md and the Document type in step: every JSON
// field and every impact is named in the document.
func TestSchemaIsDocumented(t *testing.T) {
	b, err := os.ReadFile("../docs/STATUS-JSON.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] {
			return
		}
		seen[typ] = true
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !strings.Contains(doc, "`"+name+"`") {
				t.Errorf("field %s.%s (%q) is not documented", typ.Name(), f.Name, name)
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeOf(statuspage.Document{}))
	for _, imp := range amends.Impacts {
		if !strings.Contains(doc, "`"+string(imp)+"`") {
			t.Errorf("impact %s is not documented", imp)
		}
	}
	if !strings.Contains(doc, `"schema_version": 1`) || statuspage.SchemaVersion != 1 {
		t.Error("schema version")
	}
}
