package layers_test

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/layers"
)

// goList runs `go list` from the module's root and returns its lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	var lines []string
	for sc := bufio.NewScanner(bytes.NewReader(out)); sc.Scan(); {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// Every package of the tree imports only what its layer may.
func TestArrows(t *testing.T) {
	t.Parallel()
	pkgs := 0
	for _, line := range goList(t, "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./shared/...") {
		fields := strings.Fields(line)
		pkg := fields[0]
		if layers.Of(pkg) != "layers" && layers.Allowed[layers.Of(pkg)] == nil {
			t.Errorf("%s is in no layer: shared/ holds %v", pkg, keys())
			continue
		}
		pkgs++
		if bad := layers.Broken(pkg, fields[1:]); len(bad) > 0 {
			t.Errorf("%s (%s) imports %v, which its layer may not", pkg, layers.Of(pkg), bad)
		}
	}
	if pkgs < 30 {
		t.Fatalf("checked %d packages; go list found too few", pkgs)
	}
}

// What the Lambda binaries link reaches neither local mode nor the test
// kit, and no binary people run links the testing package.
func TestBinaries(t *testing.T) {
	t.Parallel()
	for _, bin := range append(goList(t, "./functions/..."), layers.Module+"/cmd/cxloop") {
		lambda := strings.HasPrefix(bin, layers.Module+"/functions/")
		for _, dep := range goList(t, "-deps", bin) {
			switch l := layers.Of(dep); {
			case dep == "testing":
				t.Errorf("%s links the testing package", bin)
			case lambda && (l == "local" || l == "testkit"):
				t.Errorf("Lambda binary %s links %s (%s)", bin, dep, l)
			}
		}
	}
}

// The check itself notices each kind of broken arrow.
func TestBrokenArrowsAreFound(t *testing.T) {
	t.Parallel()
	p := func(s string) string { return layers.Module + "/shared/" + s }
	tests := []struct {
		pkg     string
		imports []string
		bad     int
	}{
		{p("domain/survey"), []string{"time", p("domain/token")}, 0},
		{p("domain/survey"), []string{p("core/store")}, 1},
		{p("domain/loop"), []string{"github.com/aws/aws-sdk-go-v2/aws"}, 1},
		{p("core/app"), []string{p("domain/loop"), p("core/store")}, 0},
		{p("core/app"), []string{p("web/httpapi"), p("aws/ses")}, 2},
		{p("web/httpapi"), []string{p("local/outbox")}, 1},
		{p("aws/awsapp"), []string{p("local/clock"), p("testkit/awsfake")}, 2},
		{p("local/devserver"), []string{p("aws/looptask"), p("web/httpapi")}, 0},
		{p("testkit/faults"), []string{p("local/devserver")}, 0},
	}
	for _, tt := range tests {
		if got := layers.Broken(tt.pkg, tt.imports); len(got) != tt.bad {
			t.Errorf("Broken(%s, %v) = %v, want %d broken", tt.pkg, tt.imports, got, tt.bad)
		}
	}
}

func keys() []string {
	var out []string
	for k := range layers.Allowed {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
