package templatecheck

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// registeredRoutes reads the "METHOD /path" patterns passed to Handle or
// HandleFunc in the non-test Go files of dir. Patterns without a method
// (catch-alls such as "/v1/") are not routes of the contract.
func registeredRoutes(tb testing.TB, dir string) map[string]bool {
	tb.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		tb.Fatal(err)
	}
	routes := map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			tb.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			pattern, err := strconv.Unquote(lit.Value)
			if err != nil {
				tb.Fatal(err)
			}
			method, path, found := strings.Cut(pattern, " ")
			if !found || strings.HasPrefix(method, "/") {
				return true
			}
			routes[method+" "+strings.TrimSuffix(path, "{$}")] = true
			return true
		})
	}
	return routes
}

// documentedRoutes reads infra/openapi.yaml's operations, split into the
// deployed ones and the x-local-only ones.
func documentedRoutes(tb testing.TB, path string) (deployed, local map[string]bool) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		tb.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		tb.Errorf("openapi: %q, want 3.1.x", doc.OpenAPI)
	}
	deployed, local = map[string]bool{}, map[string]bool{}
	for p, ops := range doc.Paths {
		for m, v := range ops {
			op, isOp := v.(map[string]any)
			switch m {
			case "get", "put", "post", "delete", "patch", "head", "options":
			default:
				continue // parameters, summary, ...
			}
			if !isOp {
				tb.Errorf("%s %s is not an operation object", m, p)
				continue
			}
			key := strings.ToUpper(m) + " " + p
			if op["x-local-only"] == true {
				local[key] = true
			} else {
				deployed[key] = true
			}
			sec, hasSec := op["security"]
			if strings.HasPrefix(p, "/v1/") && (!hasSec || !strings.Contains(jsonString(tb, sec), "apiKey")) {
				tb.Errorf("%s: a /v1/ operation must require the apiKey (bearer) security scheme", key)
			}
		}
	}
	return deployed, local
}

func jsonString(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func compareRoutes(t *testing.T, what string, code, doc map[string]bool) {
	t.Helper()
	for _, r := range sortedKeys(code) {
		if !doc[r] {
			t.Errorf("%s route %s is registered but not in infra/openapi.yaml", what, r)
		}
	}
	for _, r := range sortedKeys(doc) {
		if !code[r] {
			t.Errorf("infra/openapi.yaml documents %s, which is not a registered %s route", r, what)
		}
	}
}

// TestOpenAPIMatchesRoutes holds infra/openapi.yaml to the routes the Go
// servers register: shared/web/httpapi (deployed) and shared/local/devserver
// (local-only, flagged x-local-only: true).
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	deployed, local := documentedRoutes(t, filepath.Join(root, "infra", "openapi.yaml"))
	compareRoutes(t, "shared/web/httpapi", registeredRoutes(t, filepath.Join(root, "shared", "web", "httpapi")), deployed)
	compareRoutes(t, "shared/local/devserver", registeredRoutes(t, filepath.Join(root, "shared", "local", "devserver")), local)
	if len(deployed) < 20 {
		t.Errorf("only %d deployed operations documented; the parse probably failed", len(deployed))
	}
}

// TestEventsPresent checks that every deployed function has sample events
// under events/<function>/, each a JSON object.
func TestEventsPresent(t *testing.T) {
	t.Parallel()
	_, repo := mustLoad(t)
	for _, fn := range sortedKeys(repo.Needs) {
		files, err := filepath.Glob(filepath.Join(root, "events", fn, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Errorf("events/%s/ has no sample events", fn)
		}
		sort.Strings(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var v map[string]any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		}
	}
}
