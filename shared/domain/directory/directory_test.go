package directory_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/domain/directory"
)

func TestOwnerChainResolve(t *testing.T) {
	t.Parallel()
	people := map[string]directory.Person{
		"maria": {ID: "maria", Name: "María García"},
		"sam":   {ID: "sam", Name: "Sam Okafor"},
		"dana":  {ID: "dana", Name: "Dana Whitfield"},
	}
	known := func(id string) (directory.Person, bool) {
		p, ok := people[id]
		return p, ok
	}
	tests := []struct {
		name    string
		chain   directory.OwnerChain
		want    string
		wantErr string
	}{
		{"explicit known", directory.OwnerChain{Explicit: "sam", Account: "maria", Fallback: "dana"}, "sam", ""},
		{"explicit unknown is an error, no fallthrough", directory.OwnerChain{Explicit: "smа", Account: "maria", Fallback: "dana"}, "", "owner_id"},
		{"account owner", directory.OwnerChain{Account: "maria", Fallback: "dana"}, "maria", ""},
		{"account owner without fallback", directory.OwnerChain{Account: "maria"}, "maria", ""},
		{"account owner left: fallback", directory.OwnerChain{Account: "gone", Fallback: "dana"}, "dana", ""},
		{"no account owner: fallback", directory.OwnerChain{Fallback: "dana"}, "dana", ""},
		{"nobody", directory.OwnerChain{}, "", "no fallback"},
		{"nobody known", directory.OwnerChain{Account: "gone", Fallback: "also-gone"}, "", "no owner"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := tt.chain.Resolve(known)
			if tt.wantErr == "" {
				if err != nil || p.ID != tt.want {
					t.Errorf("Resolve = %+v, %v; want %s", p, err, tt.want)
				}
				return
			}
			if !errors.Is(err, directory.ErrNoOwner) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Resolve error = %v; want ErrNoOwner mentioning %q", err, tt.wantErr)
			}
			if p.ID != "" {
				t.Errorf("Resolve returned %+v with an error", p)
			}
		})
	}
}
