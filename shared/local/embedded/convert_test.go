package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/shared/core/store"
)

// testdata/journal-v1 is a data directory written by the journal store
// before it was replaced (creates, overwrites that move, add and drop index
// entries, deletes, a re-create, opaque bytes, multi-byte and 0xff keys, a
// 20 KB item, and a half-written last commit), and want.json what that
// store read back from it.
const journalFixture = "testdata/journal-v1"

// fixtureItem is an item of want.json.
type fixtureItem struct {
	PK, SK                         string
	GSI1PK, GSI1SK, GSI2PK, GSI2SK string
	GSI3PK, GSI3SK                 string
	Version, ExpiresAt             int64
	Data                           []byte
}

func (f fixtureItem) item() store.Item {
	return store.Item{
		Key:  store.Key{PK: f.PK, SK: f.SK},
		GSI1: store.Key{PK: f.GSI1PK, SK: f.GSI1SK}, GSI2: store.Key{PK: f.GSI2PK, SK: f.GSI2SK}, GSI3: store.Key{PK: f.GSI3PK, SK: f.GSI3SK},
		Version: f.Version, ExpiresAt: f.ExpiresAt, Data: f.Data,
	}
}

// journalDir copies the fixture's journal into a new data directory.
func journalDir(t *testing.T) (dir string, journal []byte) {
	t.Helper()
	journal, err := os.ReadFile(filepath.Join(journalFixture, journalName))
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, journalName), journal, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, journal
}

// wantFixture returns the items the journal store read from the fixture.
func wantFixture(t *testing.T) map[store.Key]store.Item {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(journalFixture, "want.json"))
	if err != nil {
		t.Fatal(err)
	}
	var items []fixtureItem
	if err := json.Unmarshal(b, &items); err != nil {
		t.Fatal(err)
	}
	out := map[store.Key]store.Item{}
	for _, f := range items {
		out[store.Key{PK: f.PK, SK: f.SK}] = f.item()
	}
	if len(out) < 20 {
		t.Fatalf("want.json holds %d items", len(out))
	}
	return out
}

// checkFixture fails unless tbl holds exactly want, through Get and
// through every partition of the table and its indexes, in order.
func checkFixture(t *testing.T, tbl *Table, want map[store.Key]store.Item) {
	t.Helper()
	ctx := context.Background()
	type part struct {
		ix store.Index
		pk string
	}
	parts := map[part]bool{}
	for k, w := range want {
		got, err := tbl.Get(ctx, k)
		if err != nil || !sameItem(got, w) {
			t.Errorf("Get %v = %+v, %v; want %+v", k, got, err, w)
		}
		for i, ik := range indexKeys(w) {
			if !ik.IsZero() {
				parts[part{[]store.Index{store.Due, store.Customer, store.Listing}[i], ik.PK}] = true
			}
		}
		parts[part{store.Primary, k.PK}] = true
	}
	for p := range parts {
		for _, desc := range []bool{false, true} {
			q := store.Query{Index: p.ix, PK: p.pk, Desc: desc}
			got, err := tbl.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if w := modelQuery(want, q); !slices.EqualFunc(got, w, sameItem) {
				t.Errorf("Query %+v\n got  %v\n want %v", q, keysOf(got), keysOf(w))
			}
		}
	}
}

// A data directory in the journal format is converted on Open: every item
// as the journal store read it (versions, index entries, expiry, bytes),
// the half-written last commit left out, the journal kept aside, and no
// second conversion on the next Open.
func TestConvertJournal(t *testing.T) {
	t.Parallel()
	dir, journal := journalDir(t)
	want := wantFixture(t)
	tbl := openT(t, dir)
	checkFixture(t, tbl, want)
	if got := tbl.Converted(); !strings.Contains(got, "converted 28 items from cxloop.journal") || !strings.Contains(got, "its last 19 bytes") {
		t.Errorf("Converted() = %q, want the items and the torn tail told", got)
	}
	if _, err := os.Stat(filepath.Join(dir, journalName)); !os.IsNotExist(err) {
		t.Errorf("the journal is still in place: %v", err)
	}
	if kept, err := os.ReadFile(filepath.Join(dir, journalName+".converted")); err != nil || !bytes.Equal(kept, journal) {
		t.Errorf("the journal was not kept aside as it was (%d bytes, %v)", len(kept), err)
	}
	// The store takes writes, and the next Open converts nothing.
	it, err := tbl.Put(context.Background(), testItem(1, `{}`), store.IfAbsent())
	if err != nil {
		t.Fatal(err)
	}
	want[it.Key] = it
	closeTable(t, tbl)
	tbl = openT(t, dir)
	if got := tbl.Converted(); got != "" {
		t.Errorf("second Open: Converted() = %q, want nothing", got)
	}
	checkFixture(t, tbl, want)
}

// A conversion may stop anywhere. Stopped before the journal was renamed
// aside, the next Open starts again (from a half-written new store); after
// it, the next Open finishes it.
func TestConvertStoppedMidway(t *testing.T) {
	t.Parallel()
	want := wantFixture(t)
	t.Run("before the journal went aside", func(t *testing.T) {
		t.Parallel()
		dir, _ := journalDir(t)
		bogus := testItem(99, `{"half":"written"}`)
		bogus.Version = 1
		if err := writeStore(filepath.Join(dir, convertingName), map[string][]byte{itemKey(bogus.Key): encodeItem(bogus)}); err != nil {
			t.Fatal(err)
		}
		tbl := openT(t, dir)
		checkFixture(t, tbl, want)
		if _, err := tbl.Get(context.Background(), bogus.Key); err == nil {
			t.Error("an item of the stopped conversion's store is there")
		}
	})
	t.Run("after the journal went aside", func(t *testing.T) {
		t.Parallel()
		dir, journal := journalDir(t)
		items, _, err := readJournal(journal)
		if err != nil {
			t.Fatal(err)
		}
		if err := writeStore(filepath.Join(dir, convertingName), items); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, journalName), filepath.Join(dir, journalName+".converted")); err != nil {
			t.Fatal(err)
		}
		tbl := openT(t, dir)
		checkFixture(t, tbl, want)
		if got := tbl.Converted(); !strings.Contains(got, "finished a conversion") {
			t.Errorf("Converted() = %q, want the finished conversion told", got)
		}
	})
}

// journalRecord is a journal record setting k to v (nil: deleting it), in
// the layout convert.go documents.
func journalRecord(k string, v []byte) []byte {
	op := byte(opPut)
	if v == nil {
		op = opDelete
	}
	payload := append([]byte{op}, binary.AppendUvarint(nil, uint64(len(k)))...)
	payload = append(append(payload, k...), v...)
	rec := binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))
	rec = binary.LittleEndian.AppendUint32(rec, crc32.Checksum(payload, crcTable))
	return append(rec, payload...)
}

// Data directories Open cannot take are refused with a message that says
// what to do, and left as they were.
func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  []string
	}{
		{"a journal with an intact record that is not an item", func(t *testing.T, dir string) {
			_, journal := journalDir(t)
			// A torn tail cut off by the journal store, then a good framing
			// around something cxloop never writes.
			journal = journal[:len(journal)-19]
			journal = append(journal, journalRecord("no-separator", encodeItem(testItem(1, "{}")))...)
			if err := os.WriteFile(filepath.Join(dir, journalName), journal, 0o600); err != nil {
				t.Fatal(err)
			}
		}, []string{"journal corrupt at byte", "move it away to start empty"}},
		{"a bbolt file", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, boltName), []byte("bbolt"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, []string{"bbolt", "with a cxloop from before the Pebble store", "move cxloop.db away to start empty"}},
		{"a store and a journal", func(t *testing.T, dir string) {
			closeTable(t, openT(t, dir))
			_, journal := journalDir(t)
			if err := os.WriteFile(filepath.Join(dir, journalName), journal, 0o600); err != nil {
				t.Fatal(err)
			}
		}, []string{"both the store", "move cxloop.journal away to keep the store"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			tc.setup(t, dir)
			before := dirFiles(t, dir)
			tbl, err := Open(dir)
			if err == nil {
				tbl.Close()
				t.Fatal("Open succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if after := dirFiles(t, dir); !slices.Equal(after, before) {
				t.Errorf("the directory changed:\n before %q\n after  %q", before, after)
			}
		})
	}
}

// dirFiles lists dir's entries (with the sizes of files), beside the lock.
func dirFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Name() == lockName {
			continue
		}
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if e.IsDir() {
			out = append(out, e.Name()+"/")
		} else {
			out = append(out, fmt.Sprintf("%s %d", e.Name(), info.Size()))
		}
	}
	return out
}

// A cxloop from before Pebble still running on the directory holds its
// journal's lock: the conversion must wait for it and then refuse.
func TestConvertWaitsForAnOlderCxloop(t *testing.T) {
	t.Parallel()
	dir, _ := journalDir(t)
	f, err := os.Open(filepath.Join(dir, journalName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		t.Fatal(err)
	}
	tbl, err := Open(dir)
	if err == nil {
		tbl.Close()
		t.Fatal("Open converted a journal another process has open")
	}
	if !strings.Contains(err.Error(), "older cxloop dev running with the same --data") {
		t.Errorf("error %q does not say why", err)
	}
	if _, err := os.Stat(filepath.Join(dir, journalName)); err != nil {
		t.Errorf("the journal moved: %v", err)
	}
}
