package runtimeapi

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
)

// Build describes a build of function binaries the way they are released:
// CGO off, `-tags lambda.norpc,validator_novalidatefn -trimpath -ldflags "-s -w -X
// main.version=..."`.
type Build struct {
	// ModuleRoot is the directory holding go.mod and functions/.
	ModuleRoot string
	// Functions are folder names under functions/; all of them when empty.
	Functions []string
	// OutDir receives one executable per function, named after its folder.
	OutDir string
	// GOOS and GOARCH default to the host's, so the harness can run them.
	GOOS, GOARCH string
	// Version is stamped into main.version; "dev" when empty.
	Version string
	// Go is the go command; "go" when empty.
	Go string
	// Extra are further main packages built the same way in the same
	// `go build`, as paths relative to ModuleRoot (like
	// "./shared/testkit/runtimeapi/testdata/emptyfn"); each executable is named,
	// and returned by, the package folder's name.
	Extra []string
}

// Run builds the functions in one `go build` and returns each function's
// executable path by name.
func (b Build) Run(ctx context.Context) (map[string]string, error) {
	names := b.Functions
	if len(names) == 0 {
		var err error
		if names, err = FunctionNames(b.ModuleRoot); err != nil {
			return nil, err
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no functions under %s", filepath.Join(b.ModuleRoot, "functions"))
	}
	goos, goarch, version, gocmd := b.GOOS, b.GOARCH, b.Version, b.Go
	if goos == "" {
		goos = runtime.GOOS
	}
	if goarch == "" {
		goarch = runtime.GOARCH
	}
	if version == "" {
		version = "dev"
	}
	if gocmd == "" {
		gocmd = "go"
	}
	out, err := filepath.Abs(b.OutDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	args := []string{"build", "-tags", "lambda.norpc,validator_novalidatefn", "-trimpath",
		"-ldflags", "-s -w -X main.version=" + version, "-o", out + string(filepath.Separator)}
	for _, n := range names {
		args = append(args, "./functions/"+n)
	}
	names = slices.Clip(names)
	for _, e := range b.Extra {
		n := path.Base(e)
		if slices.Contains(names, n) {
			return nil, fmt.Errorf("extra package %s: there is already an executable named %s", e, n)
		}
		args = append(args, e)
		names = append(names, n)
	}
	cmd := exec.CommandContext(ctx, gocmd, args...)
	cmd.Dir = b.ModuleRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w\n%s", gocmd, strings.Join(args, " "), err, stderr.String())
	}
	bins := make(map[string]string, len(names))
	for _, n := range names {
		p := filepath.Join(out, n)
		if goos == "windows" {
			p += ".exe"
		}
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("go build made no %s: %w", p, err)
		}
		bins[n] = p
	}
	return bins, nil
}

// FunctionNames lists the folders under root/functions that hold a
// main.go, sorted.
func FunctionNames(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		return nil, fmt.Errorf("list functions: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, "functions", e.Name(), "main.go")); err == nil {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}
