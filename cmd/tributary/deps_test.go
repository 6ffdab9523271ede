package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestBinaryHoldsOnlyTheProduct fails when the tributary binary links
// test code (testing, testify) or the local development tools under
// deploy/, listing the packages that do.
func TestBinaryHoldsOnlyTheProduct(t *testing.T) {
	root, module := moduleRoot(t)
	out := goList(t, root, "-deps", "./cmd/tributary")
	deploy := module + "/deploy"
	var offenders []string
	for pkg := range strings.FieldsSeq(string(out)) {
		if pkg == "testing" || strings.Contains(pkg, "testify") ||
			pkg == deploy || strings.HasPrefix(pkg, deploy+"/") {
			offenders = append(offenders, pkg)
		}
	}
	if len(offenders) > 0 {
		t.Errorf("./cmd/tributary depends on test or development packages (see go list -deps ./cmd/tributary):\n  %s",
			strings.Join(offenders, "\n  "))
	}
}

// goList runs go list with args in the module root and returns its
// standard output, failing the test with go's own message when it fails.
func goList(t *testing.T, root string, args ...string) []byte {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.CommandContext(t.Context(), goBin, append([]string{"list"}, args...)...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// moduleRoot returns the folder holding go.mod, found upward from the
// working directory, and the module path it declares.
func moduleRoot(t *testing.T) (dir, module string) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			for line := range strings.Lines(string(data)) {
				if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
					return dir, strings.Trim(strings.TrimSpace(rest), `"`)
				}
			}
			t.Fatalf("%s declares no module", filepath.Join(dir, "go.mod"))
		}
		if !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}
