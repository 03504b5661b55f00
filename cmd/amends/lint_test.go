package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateLint = flag.Bool("update", false, "rewrite the golden files of `amends lint` in testdata/lint")

// TestLintGolden runs `amends lint` the way a person or a pre-commit hook does and
// compares the output with testdata/lint/NAME.golden (rewrite them with -update).
func TestLintGolden(t *testing.T) {
	evasive, err := os.ReadFile("testdata/lint/evasive.txt")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
	}{
		{"owning-text", []string{"testdata/lint/owning.txt"}, "", 0},
		{"evasive-text-stdin", []string{"-"}, string(evasive), 1},
		{"evasive-text-no-file", nil, string(evasive), 1},
		{"evasive-json-flags-after", []string{"testdata/lint/evasive.txt", "--format", "json"}, "", 1},
		{"postmortem-blameless", []string{"--mode", "blameless", "testdata/lint/postmortem.md"}, "", 1},
		{"organisation-rules", []string{"--rules", "testdata/lint/acme.rules", "testdata/lint/evasive.txt"}, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runLint(context.Background(), tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code: got %d, want %d; stderr: %s", code, tt.wantCode, stderr.String())
			}
			if stderr.Len() > 0 {
				t.Errorf("stderr: got %q, want nothing", stderr.String())
			}
			golden := filepath.Join("testdata", "lint", tt.name+".golden")
			if *updateLint {
				if err := os.WriteFile(golden, stdout.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestLintGolden -update to create it)", err)
			}
			if got := stdout.String(); got != string(want) {
				t.Errorf("output differs from %s (rerun with -update if the change is intended)\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

// TestLintJSON checks that --format json prints the report of the API contract.
func TestLintJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := runLint(context.Background(), []string{"--format=json", "testdata/lint/owning.txt"}, nil, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit code: got %d, want 0; stderr: %s", code, stderr.String())
	}
	var r struct {
		Mode     string          `json:"mode"`
		Owns     bool            `json:"owns"`
		Score    int             `json:"score"`
		Elements map[string]bool `json:"elements"`
		Findings []struct {
			Rule, Element, Text string
			Start, End          int
		} `json:"findings"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout.String())
	}
	if r.Mode != "customer" || !r.Owns || r.Score < 0 || r.Score > 100 || len(r.Elements) != 9 || r.Findings == nil {
		t.Errorf("report: got %+v", r)
	}
}

// TestLintErrors checks the usage and read errors: exit code 2 and a clear message.
func TestLintErrors(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{"unknown mode", []string{"--mode", "friendly", "testdata/lint/owning.txt"}, "want customer or blameless"},
		{"unknown format", []string{"--format", "xml", "testdata/lint/owning.txt"}, "want text or json"},
		{"missing file", []string{"testdata/lint/no-such-file.txt"}, "no-such-file.txt"},
		{"two files", []string{"testdata/lint/owning.txt", "testdata/lint/evasive.txt"}, "one file at a time"},
		{"unknown flag", []string{"--colour", "testdata/lint/owning.txt"}, "flag provided but not defined"},
		{"missing rules file", []string{"--rules", "testdata/lint/none.rules", "-"}, "none.rules"},
		{"broken rules file", []string{"--rules", "testdata/lint/broken.rules", "-"}, "line 6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runLint(context.Background(), tt.args, strings.NewReader("We are sorry."), &stdout, &stderr)
			if code != 2 {
				t.Errorf("exit code: got %d, want 2", code)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr: got %q, want it to mention %q", stderr.String(), tt.wantStderr)
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout: got %q, want nothing", stdout.String())
			}
		})
	}
}
