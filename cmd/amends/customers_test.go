package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCLICustomersImport(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "a.db")
	m, _ := startServer(t, db)
	code, token, stderr := cli(t, "token", "create", "--db", db, "--role", "responder", "--name", "importer")
	if code != 0 {
		t.Fatalf("token create: %d %q", code, stderr)
	}
	conn := []string{"--url", m.URL(), "--token", strings.TrimSpace(token)}
	write := func(name string, fill func(w *bufio.Writer)) string {
		t.Helper()
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(f)
		fill(w)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return path
	}

	// Over the API's usual 1 MiB: the import route declares its own limit.
	const n = 20000
	good := write("customers.csv", func(w *bufio.Writer) {
		fmt.Fprintln(w, "email,name,account,segments,notes")
		for i := range n {
			fmt.Fprintf(w, "customer%05d@example.com,Customer number %d,Account %d,seg-%d;all,\n", i, i, i%50, i%3)
		}
	})
	if fi, _ := os.Stat(good); fi.Size() <= 1<<20 {
		t.Fatalf("the file is %d bytes; the test needs more than 1 MiB", fi.Size())
	}
	code, out, stderr := cli(t, append([]string{"customers", "import", good}, conn...)...)
	if code != 0 || out != fmt.Sprintf("imported %d, updated 0, skipped 0\n", n) || stderr != good+": ignored columns: notes\n" {
		t.Fatalf("import: %d %q %q", code, out, stderr)
	}

	bad := write("bad.csv", func(w *bufio.Writer) {
		w.WriteString("email,name,account\n" +
			"new@example.com,New,Acme\n" +
			"customer00001@example.com,Again,Acme\n" +
			"not-an-email,X,Acme\n" +
			"eve@example.com,\"Eve\nBcc: evil@example.net\",Acme\n")
	})
	code, out, stderr = cli(t, append([]string{"customers", "import", bad}, conn...)...)
	wantErr := bad + ":3: email: duplicate: customer00001@example.com is already a customer; import with update to change them\n" +
		bad + ":4: email: \"not-an-email\" is not an email address (want name@example.com)\n" +
		bad + ":5: name: must be one line\n" +
		"amends: nothing was imported: fix the rows above and import the file again (or import the good rows with --skip-bad)\n"
	if code != 1 || out != "imported 0, updated 0, skipped 4\n" || stderr != wantErr {
		t.Fatalf("bad file: %d %q\n%s", code, out, stderr)
	}
	code, out, _ = cli(t, append([]string{"customers", "import", bad, "--skip-bad", "--update"}, conn...)...)
	if code != 0 || out != "imported 1, updated 1, skipped 2\n" {
		t.Errorf("skip bad, update: %d %q", code, out)
	}

	code, out, _ = cli(t, append([]string{"customers", "list", "--account", "Acme"}, conn...)...)
	if code != 0 || !strings.Contains(out, "customer00001@example.com  Again") || !strings.Contains(out, "new@example.com") || strings.Contains(out, "next page") {
		t.Errorf("list: %d\n%s", code, out)
	}
	code, out, _ = cli(t, append([]string{"customers", "list", "--segment", "seg-1", "--limit", "2"}, conn...)...)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || len(lines) != 4 || !strings.HasPrefix(lines[3], "next page: --after ") {
		t.Errorf("a page: %d\n%s", code, out)
	}
	if code, _, stderr = cli(t, append([]string{"customers", "import", filepath.Join(dir, "missing.csv")}, conn...)...); code != 1 || !strings.Contains(stderr, "missing.csv") {
		t.Errorf("missing file: %d %q", code, stderr)
	}
	if code, _, _ = cli(t, "customers", "frobnicate"); code != 2 {
		t.Errorf("unknown subcommand: %d", code)
	}
}
