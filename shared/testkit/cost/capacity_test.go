package cost_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cxloop/cxloop/shared/testkit/awsfake"
	"github.com/cxloop/cxloop/shared/testkit/cost"
)

// checkCapacity compares infra/README.md's capacity section with the table
// the lifecycles give, or rewrites it with -update; and holds the default
// deployment to the limits at 10k and 100k surveys a day.
func checkCapacity(t *testing.T, lcs []cost.Lifecycle) {
	t.Helper()
	p := cost.MixPerSurvey(lcs)
	if len(p.Partitions) == 0 || p.Executions == 0 || p.Emails == 0 {
		t.Fatalf("the lifecycles counted no shared index partition, execution or email: %+v", p)
	}
	for _, day := range []float64{10000, 100000} {
		peak := cost.PeakFactor * day / 86400
		if rate := peak * p.Emails; rate > cost.SESNewAccountRate {
			t.Errorf("%g surveys a day send %.1f emails a second at peak, over a new account's %g", day, rate, cost.SESNewAccountRate)
		}
		for k, units := range p.Partitions {
			if w := peak * units; w > cost.PartitionWriteLimit/3 {
				t.Errorf("%g surveys a day write %.0f units a second to index partition %s, over a third of its limit", day, w, k)
			}
		}
	}
	body := cost.CapacityMarkdown(lcs, []int{10000, 100000, 1000000})
	t.Logf("\n%s", body)
	root, err := awsfake.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "infra", "README.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		out, err := cost.SpliceCapacity(string(b), body)
		if err != nil {
			t.Fatal(err)
		}
		if out != string(b) {
			if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("rewrote the capacity section of %s", path)
		}
		return
	}
	got, ok := cost.CapacitySection(string(b))
	if !ok {
		t.Fatalf("infra/README.md has no capacity section (%s … %s); run `%s`", cost.CapacityBegin, cost.CapacityEnd, cost.UpdateCommand)
	}
	if got != body {
		t.Fatalf("infra/README.md's capacity section is out of date; run `%s` and review the diff.\n%s", cost.UpdateCommand, firstDiff(got, body))
	}
}
