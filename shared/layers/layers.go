// Package layers names the layers of cxloop's tree and the arrows between
// them; its test holds every package to them, with `go list`.
//
//	domain    rules: survey, loop, customer, directory, report, reply, message, token, access
//	core      the application core (app) and the store port (store)
//	platform  configuration and input validation
//	web       the HTTP edge
//	aws       the AWS adapters and the whole Lambda edge
//	local     cxloop dev: its server, interpreter, store, outbox and clock
//	testkit   the AWS fakes, the Runtime API harness, faults, cost, the store contract suite
//
// A layer may import the layers before it in Allowed, and itself. On top:
// nothing a Lambda binary links reaches local mode or the test kit, and no
// binary people run (functions/*, cmd/cxloop) links the testing package.
package layers

import "strings"

// Module is the module's import path.
const Module = "github.com/cxloop/cxloop"

// Allowed lists, for each layer, the layers its packages may import.
var Allowed = map[string][]string{
	"domain":   {"domain"},
	"core":     {"domain", "core"},
	"platform": {"domain", "core", "platform"},
	"web":      {"domain", "core", "platform", "web"},
	"aws":      {"domain", "core", "platform", "web", "aws"},
	"local":    {"domain", "core", "platform", "web", "aws", "local"},
	"testkit":  {"domain", "core", "platform", "web", "aws", "local", "testkit"},
}

// Of returns the layer of a package of the module under shared/ ("" for
// any other package: the standard library, a dependency, functions, cmd,
// infra).
func Of(pkg string) string {
	rest, ok := strings.CutPrefix(pkg, Module+"/shared/")
	if !ok {
		return ""
	}
	layer, _, _ := strings.Cut(rest, "/")
	return layer
}

// Broken lists the imports of pkg that break an arrow: a package of a
// layer importing one of a layer it may not, or a domain package importing
// the AWS SDK.
func Broken(pkg string, imports []string) []string {
	from := Of(pkg)
	if from == "" || from == "layers" {
		return nil
	}
	var bad []string
	for _, imp := range imports {
		to := Of(imp)
		switch {
		case from == "domain" && strings.HasPrefix(imp, "github.com/aws/"):
			bad = append(bad, imp)
		case to == "" || to == "layers":
		case !allows(from, to):
			bad = append(bad, imp)
		}
	}
	return bad
}

func allows(from, to string) bool {
	for _, l := range Allowed[from] {
		if l == to {
			return true
		}
	}
	return false
}
