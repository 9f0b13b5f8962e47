package dynamo_test

import (
	"testing"

	"github.com/cxloop/cxloop/shared/core/store"
	"github.com/cxloop/cxloop/shared/testkit/storetest"
)

// TestContract runs the store.Table contract suite against the adapter on
// a fresh dynalite table, the same suite the embedded table passes.
func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Table { return newDynaliteTable(t) })
}
