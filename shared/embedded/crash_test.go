//go:build unix

package embedded

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/store"
)

// The crash tests run a writer process, kill it with SIGKILL at a random
// moment, and check what the journal kept. The writer is this test binary
// run again with only TestCrashChild selected and the environment below set.
const (
	crashJournalEnv = "CXLOOP_EMBEDDED_CRASH_JOURNAL" // the journal's path; set only in the writer
	crashRoundEnv   = "CXLOOP_EMBEDDED_CRASH_ROUND"
	crashSeedEnv    = "CXLOOP_EMBEDDED_CRASH_SEED" // the writer's seed; in the parent, one to reproduce a run with

	crashRounds  = 10
	crashWorkers = 8  // goroutines writing in the writer
	crashKeys    = 12 // keys they share
	// crashMaxWrite bounds how long the writer writes before it is killed.
	crashMaxWrite = 250 * time.Millisecond
)

// The index partitions the writer uses, which the checks query.
var crashPartitions = map[store.Index][]string{
	store.Due:      {"due#0", "due#1", "due#2"},
	store.Customer: {"cust#0", "cust#1"},
	store.Listing:  {"list"},
}

// TestCrashChild is the writer process of the crash tests. Its workers
// create, overwrite (version-checked, so they conflict) and delete items of
// a few shared keys, and print a line for each write once it returned nil:
//
//	ack put <sort key> <life> <version> <hash>
//	ack intent-del <sort key> <life>   (printed before the Delete is sent)
//	ack del <sort key> <life>
//
// A life is one item from its create to its delete. Creates and deletes of
// a key take turns, so lives are numbered in the order they begin, and the
// parent can order every write to a key by (life, version).
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashJournalEnv)
	if path == "" {
		t.Skip("the writer process of the crash tests; they start it")
	}
	round, err := strconv.ParseInt(os.Getenv(crashRoundEnv), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := strconv.ParseUint(os.Getenv(crashSeedEnv), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	// Never closed: the parent kills this process while it writes.

	var (
		out       sync.Mutex
		lives     atomic.Int64
		lifecycle [crashKeys]sync.Mutex // creates and deletes of a key take turns
	)
	lives.Store(round * 1_000_000) // above every life of earlier rounds
	// ack prints one line with one write, so once it returns, the line is
	// in the pipe and reaches the parent whenever this process dies.
	ack := func(format string, args ...any) {
		out.Lock()
		defer out.Unlock()
		if _, err := os.Stdout.WriteString(fmt.Sprintf("ack "+format+"\n", args...)); err != nil {
			panic(err)
		}
	}
	ctx := context.Background()
	step := func(rng *rand.Rand, by string) error {
		i := rng.IntN(crashKeys)
		sk := fmt.Sprintf("k%02d", i)
		key := store.Key{PK: "crash", SK: sk}
		cur, err := tbl.Get(ctx, key)
		switch {
		case errors.Is(err, store.ErrNotFound):
			lifecycle[i].Lock()
			defer lifecycle[i].Unlock()
			if _, err := tbl.Get(ctx, key); !errors.Is(err, store.ErrNotFound) {
				return err // nil: created meanwhile
			}
			life := lives.Add(1)
			it, err := tbl.Put(ctx, crashItem(rng, sk, life, by), store.IfAbsent())
			if err != nil {
				return err // not even a conflict: no one else creates the key now
			}
			ack("put %s %d %d %s", sk, life, it.Version, crashHash(it))
		case err != nil:
			return err
		case rng.IntN(8) == 0:
			lifecycle[i].Lock()
			defer lifecycle[i].Unlock()
			cur, err := tbl.Get(ctx, key)
			if err != nil {
				return err // deletes take turns, so it is still there
			}
			life := crashLife(cur)
			ack("intent-del %s %d", sk, life)
			if err := tbl.Delete(ctx, key); err != nil {
				return err
			}
			ack("del %s %d", sk, life)
		default:
			life := crashLife(cur)
			it, err := tbl.Put(ctx, crashItem(rng, sk, life, by), store.IfVersion(cur.Version))
			if errors.Is(err, store.ErrConflict) {
				return nil
			}
			if err != nil {
				return err
			}
			ack("put %s %d %d %s", sk, life, it.Version, crashHash(it))
		}
		return nil
	}

	deadline := time.Now().Add(20 * time.Second) // should the parent be gone
	var wg sync.WaitGroup
	for w := range crashWorkers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for time.Now().Before(deadline) {
				if err := step(rng, fmt.Sprintf("w%d", w)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// crashData is the document the writer stores.
type crashData struct {
	Life int64  `json:"life"`
	By   string `json:"by"`
	Pad  string `json:"pad,omitempty"` // up to 4 KB, so commits span pages
}

// crashItem is a write of key sk in life, with random index entries (or
// none), expiry and size.
func crashItem(rng *rand.Rand, sk string, life int64, by string) store.Item {
	it := store.Item{Key: store.Key{PK: "crash", SK: sk}}
	pick := func(ix store.Index) string { p := crashPartitions[ix]; return p[rng.IntN(len(p))] }
	if rng.IntN(4) > 0 {
		it.GSI1 = store.Key{PK: pick(store.Due), SK: fmt.Sprintf("%03d#%s", rng.IntN(1000), sk)}
	}
	if rng.IntN(2) > 0 {
		it.GSI2 = store.Key{PK: pick(store.Customer), SK: sk}
	}
	if rng.IntN(4) > 0 {
		it.GSI3 = store.Key{PK: pick(store.Listing), SK: fmt.Sprintf("%02d", rng.IntN(20))} // ties too
	}
	if rng.IntN(2) > 0 {
		it.ExpiresAt = 4102444800 + rng.Int64N(1000)
	}
	it.Data, _ = json.Marshal(crashData{Life: life, By: by, Pad: strings.Repeat("x", rng.IntN(4096))})
	return it
}

func crashLife(it store.Item) int64 {
	var d crashData
	if err := json.Unmarshal(it.Data, &d); err != nil {
		panic(fmt.Sprintf("item %v: %v", it.Key, err))
	}
	return d.Life
}

// crashHash identifies what a write stored, apart from key and version.
func crashHash(it store.Item) string {
	h := sha256.New()
	fmt.Fprintf(h, "%q %q %q %q %q %q %d\n", it.GSI1.PK, it.GSI1.SK, it.GSI2.PK, it.GSI2.SK, it.GSI3.PK, it.GSI3.SK, it.ExpiresAt)
	h.Write(it.Data)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// TestCrashLosesNoAcknowledgedWrite kills the writer at random moments and
// reopens the journal it leaves each time: every acknowledged write must be
// there (or a later write of the same key, acknowledged or not), no deleted
// item may come back, the indexes must agree with the items, and the table
// must take writes and reopen cleanly after.
func TestCrashLosesNoAcknowledgedWrite(t *testing.T) {
	t.Parallel()
	runCrashRounds(t, false)
}

// TestCrashTornTailLosesOnlyWhatIsCut also truncates the journal the killed
// writer leaves at a random byte of what it wrote, as a power cut during
// the last commits could: Open must keep every record intact before the
// cut, drop everything after, and keep the cut-off bytes beside the journal.
func TestCrashTornTailLosesOnlyWhatIsCut(t *testing.T) {
	t.Parallel()
	runCrashRounds(t, true)
}

func runCrashRounds(t *testing.T, tear bool) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(crashSeedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s: %v", crashSeedEnv, err)
		}
	}
	t.Logf("seed %d (%s=%d to rerun with it; the writers' timing still varies)", seed, crashSeedEnv, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	path := filepath.Join(t.TempDir(), "cxloop.journal")
	h := newCrashHistory()
	ctx := context.Background()

	for round := 1; round <= crashRounds; round++ {
		var start int64
		if st, err := os.Stat(path); err == nil {
			start = st.Size()
		}
		killAfter := time.Duration(rng.Int64N(int64(crashMaxWrite)))
		acks := runCrashChild(t, path, round, rng.Uint64(), killAfter)
		h.record(t, acks)
		t.Logf("round %d: killed the writer %v after its first write, %d lines acknowledged", round, killAfter, len(acks))

		var (
			tbl  *Table
			snap crashSnapshot
			err  error
		)
		if !tear {
			if tbl, err = Open(path); err != nil {
				t.Fatalf("round %d: Open after the kill: %v", round, err)
			}
			snap = takeSnapshot(t, tbl)
			h.check(t, round, snap.crashItems())
		} else {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			full, _ := journalModel(t, data)
			h.check(t, round, crashItemsOf(full)) // the writer's acknowledged writes are all in the file
			cut := start + rng.Int64N(int64(len(data))-start+1)
			want, intact := journalModel(t, data[:cut])
			t.Logf("round %d: cut the journal at byte %d of %d (this round wrote from %d); intact up to %d", round, cut, len(data), start, intact)
			old, _ := filepath.Glob(path + ".torn-*")
			for _, f := range old {
				if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Truncate(path, cut); err != nil {
				t.Fatal(err)
			}
			if tbl, err = Open(path); err != nil {
				t.Fatalf("round %d: Open after the cut: %v", round, err)
			}
			snap = takeSnapshot(t, tbl)
			if d := diffItems(snap.items, want); d != "" {
				t.Fatalf("round %d: after a cut at byte %d the table is not the intact records before it:\n%s", round, cut, d)
			}
			if size := tbl.journal.size; size != intact {
				t.Errorf("round %d: journal after Open: %d bytes, want the %d intact", round, size, intact)
			}
			kept, err := os.ReadFile(fmt.Sprintf("%s.torn-%d", path, intact))
			switch {
			case intact == cut && err == nil:
				t.Errorf("round %d: a cut on a record boundary left a torn tail file", round)
			case intact < cut && (err != nil || !bytes.Equal(kept, data[intact:cut])):
				t.Errorf("round %d: torn tail kept as %d bytes (%v), want the %d cut off", round, len(kept), err, cut-intact)
			}
			h.forget() // the cut took acknowledged writes with it, on purpose
		}
		h.observe(snap.crashItems())

		// The table takes writes after the crash, and they survive a reopen.
		probe := store.Item{Key: store.Key{PK: "probe", SK: fmt.Sprintf("%02d", round)}, GSI3: store.Key{PK: "list", SK: "probe"}, Data: []byte(`{}`)}
		if _, err := tbl.Put(ctx, probe, store.IfAbsent()); err != nil {
			t.Fatalf("round %d: Put after the crash: %v", round, err)
		}
		for _, it := range snap.items {
			if it.PK == "crash" {
				it.Data = []byte(`{"life":` + strconv.FormatInt(crashLife(it), 10) + `,"by":"parent"}`)
				if _, err := tbl.Put(ctx, it, store.IfVersion(it.Version)); err != nil {
					t.Fatalf("round %d: overwrite after the crash: %v", round, err)
				}
				break
			}
		}
		before := takeSnapshot(t, tbl)
		closeTable(t, tbl)
		tbl, err = Open(path)
		if err != nil {
			t.Fatalf("round %d: Open after a clean Close: %v", round, err)
		}
		after := takeSnapshot(t, tbl)
		closeTable(t, tbl)
		if d := diffItems(after.items, before.items); d != "" {
			t.Fatalf("round %d: the reopened table differs from the closed one:\n%s", round, d)
		}
		if !maps.EqualFunc(after.index, before.index, slices.Equal) {
			t.Fatalf("round %d: the reopened indexes differ from the closed ones:\n%v\n%v", round, after.index, before.index)
		}
		if torn, _ := filepath.Glob(path + ".torn-*"); !tear && len(torn) > 0 {
			// A kill mid-write may tear the last commit; that is no error,
			// but it is worth knowing the test saw one.
			t.Logf("round %d: the kill left a torn tail: %v", round, torn)
		}
		h.observe(after.crashItems())
	}
}

// runCrashChild starts the writer on path, SIGKILLs it killAfter its first
// acknowledged write, and returns the lines it acknowledged (without "ack ").
func runCrashChild(t *testing.T, path string, round int, seed uint64, killAfter time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1", "-test.timeout=1m")
	cmd.Env = append(os.Environ(),
		crashJournalEnv+"="+path,
		fmt.Sprintf("%s=%d", crashRoundEnv, round),
		fmt.Sprintf("%s=%d", crashSeedEnv, seed))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := make(chan struct{})
	var once sync.Once
	kill := func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			close(killed)
		})
	}
	// Until the first write, the timer is a guard against a writer that
	// never writes.
	timer := time.AfterFunc(30*time.Second, kill)
	var acks, other []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
			if len(acks) == 0 {
				timer.Reset(killAfter)
			}
			acks = append(acks, line)
		} else {
			other = append(other, sc.Text())
		}
	}
	// End of output: the writer is dead, killed or not.
	if timer.Stop() {
		err := cmd.Wait()
		t.Fatalf("round %d: the writer exited by itself (%v)\nstdout: %q\nstderr: %s", round, err, other, stderr.Bytes())
	}
	<-killed
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("round %d: the writer ended with %v, want SIGKILL\nstderr: %s", round, err, stderr.Bytes())
	}
	if sc.Err() != nil || len(acks) == 0 || bytes.Contains(stderr.Bytes(), []byte("DATA RACE")) {
		t.Fatalf("round %d: the writer acknowledged %d writes (read error %v)\nstdout: %q\nstderr: %s", round, len(acks), sc.Err(), other, stderr.Bytes())
	}
	return acks
}

// crashEvent is a write of a key, acknowledged or seen after a crash.
type crashEvent struct {
	del           bool
	life, version int64
}

// before orders the writes of one key: by life, then version; a life's
// delete comes after all its puts.
func (e crashEvent) before(life, version int64) bool {
	if e.life != life {
		return e.life < life
	}
	return !e.del && e.version < version
}

// crashHistory is what the parent knows about the writer's keys.
type crashHistory struct {
	last    map[string]crashEvent // per key, the latest write known to have happened
	hashes  map[string]string     // "key life version" -> hash of the write acknowledged as that
	intents map[string]int64      // per key, the life of the latest delete begun and not acknowledged, this round
}

func newCrashHistory() *crashHistory {
	return &crashHistory{last: map[string]crashEvent{}, hashes: map[string]string{}, intents: map[string]int64{}}
}

func (h *crashHistory) saw(sk string, e crashEvent) {
	if cur, ok := h.last[sk]; !ok || cur.before(e.life, e.version) || (e.del && cur.life == e.life) {
		h.last[sk] = e
	}
}

// record takes in a round's acknowledgements.
func (h *crashHistory) record(t *testing.T, acks []string) {
	t.Helper()
	for _, line := range acks {
		f := strings.Fields(line)
		bad := len(f) < 3
		var life, version int64
		if !bad {
			life, _ = strconv.ParseInt(f[2], 10, 64)
		}
		switch {
		case bad:
		case f[0] == "put" && len(f) == 5:
			version, _ = strconv.ParseInt(f[3], 10, 64)
			id := f[1] + " " + f[2] + " " + f[3]
			if prev, ok := h.hashes[id]; ok && prev != f[4] {
				t.Errorf("key %s life %d version %d acknowledged to two writes", f[1], life, version)
			}
			h.hashes[id] = f[4]
			h.saw(f[1], crashEvent{life: life, version: version})
		case f[0] == "intent-del":
			h.intents[f[1]] = max(h.intents[f[1]], life)
		case f[0] == "del":
			h.saw(f[1], crashEvent{del: true, life: life})
			if h.intents[f[1]] == life {
				delete(h.intents, f[1])
			}
		default:
			bad = true
		}
		if bad {
			t.Fatalf("writer printed %q", line)
		}
	}
}

// check fails unless items (by sort key) can follow from what is known:
// every key at or past its latest known write, past it only by writes that
// may have landed unacknowledged, and holding what was acknowledged at
// that version.
func (h *crashHistory) check(t *testing.T, round int, items map[string]store.Item) {
	t.Helper()
	for _, sk := range slices.Sorted(maps.Keys(h.last)) {
		e := h.last[sk]
		it, ok := items[sk]
		pending := h.intents[sk] == e.life // a delete of e's life may have landed
		if !ok {
			if !e.del && !pending {
				t.Errorf("round %d: %s is gone, but life %d version %d was acknowledged and no delete of it begun", round, sk, e.life, e.version)
			}
			continue
		}
		life := crashLife(it)
		switch {
		case e.del && life <= e.life:
			t.Errorf("round %d: %s is back at life %d version %d after the delete of life %d was acknowledged", round, sk, life, it.Version, e.life)
		case !e.del && life == e.life && it.Version < e.version:
			t.Errorf("round %d: %s is at version %d, but version %d was acknowledged", round, sk, it.Version, e.version)
		case !e.del && life == e.life && it.Version > e.version+crashWorkers:
			t.Errorf("round %d: %s is at version %d, more writes past the acknowledged %d than there were writers", round, sk, it.Version, e.version)
		case !e.del && life < e.life:
			t.Errorf("round %d: %s is at life %d, but life %d was acknowledged", round, sk, life, e.life)
		case !e.del && life > e.life && !pending:
			t.Errorf("round %d: %s is at life %d, but life %d was never deleted", round, sk, life, e.life)
		}
	}
	for _, sk := range slices.Sorted(maps.Keys(items)) {
		it := items[sk]
		id := fmt.Sprintf("%s %d %d", sk, crashLife(it), it.Version)
		if want, ok := h.hashes[id]; ok && want != crashHash(it) {
			t.Errorf("round %d: %s holds another write than the one acknowledged at life %d version %d", round, sk, crashLife(it), it.Version)
		}
	}
}

// observe makes what a reopened table showed the known state: it was
// read back, so no later crash may lose it.
func (h *crashHistory) observe(items map[string]store.Item) {
	for sk, e := range h.last {
		if _, ok := items[sk]; !ok && !e.del {
			h.last[sk] = crashEvent{del: true, life: e.life}
		}
	}
	for sk, it := range items {
		life := crashLife(it)
		h.last[sk] = crashEvent{life: life, version: it.Version}
		h.hashes[fmt.Sprintf("%s %d %d", sk, life, it.Version)] = crashHash(it)
	}
	clear(h.intents)
}

// forget drops everything known, for after a deliberate cut.
func (h *crashHistory) forget() {
	clear(h.last)
	clear(h.hashes)
	clear(h.intents)
}

// crashSnapshot is everything in a table the crash tests write.
type crashSnapshot struct {
	items map[store.Key]store.Item
	index map[string][]store.Key // "<index> <partition>" -> the item keys, in order
}

func (s crashSnapshot) crashItems() map[string]store.Item {
	return crashItemsOf(s.items)
}

func crashItemsOf(items map[store.Key]store.Item) map[string]store.Item {
	out := map[string]store.Item{}
	for k, it := range items {
		if k.PK == "crash" {
			out[k.SK] = it
		}
	}
	return out
}

// takeSnapshot reads the whole table, through Query and Get, and checks
// that the indexes agree with the items: each entry is an item with that
// index key, in order, and each item with an index key has its entry once.
func takeSnapshot(t *testing.T, tbl *Table) crashSnapshot {
	t.Helper()
	ctx := context.Background()
	s := crashSnapshot{items: map[store.Key]store.Item{}, index: map[string][]store.Key{}}
	for _, pk := range []string{"crash", "probe"} {
		items, err := tbl.Query(ctx, store.Query{PK: pk})
		if err != nil {
			t.Fatalf("Query %s: %v", pk, err)
		}
		for _, it := range items {
			s.items[it.Key] = it
			if got, err := tbl.Get(ctx, it.Key); err != nil || !sameItem(got, it) {
				t.Errorf("Get %v = %+v, %v; Query returned %+v", it.Key, got, err, it)
			}
		}
	}
	wantEntries := 0
	for _, it := range s.items {
		for ix, parts := range crashPartitions {
			if k := indexKeyOf(it, ix); !k.IsZero() {
				wantEntries++
				if !slices.Contains(parts, k.PK) {
					t.Errorf("item %v has %s key %v, outside the partitions written", it.Key, ix, k)
				}
			}
		}
	}
	entries := 0
	for _, ix := range []store.Index{store.Due, store.Customer, store.Listing} {
		for _, part := range crashPartitions[ix] {
			items, err := tbl.Query(ctx, store.Query{Index: ix, PK: part})
			if err != nil {
				t.Fatalf("Query %s %s: %v", ix, part, err)
			}
			var keys []store.Key
			for i, it := range items {
				k := indexKeyOf(it, ix)
				switch want, ok := s.items[it.Key]; {
				case !ok:
					t.Errorf("%s %s: entry of %v, which is not in the table", ix, part, it.Key)
				case !sameItem(it, want):
					t.Errorf("%s %s: entry %+v, but the item is %+v", ix, part, it, want)
				case k.PK != part:
					t.Errorf("%s %s: entry of %v, whose %s key is %v", ix, part, it.Key, ix, k)
				case i > 0 && indexKeyOf(items[i-1], ix).SK > k.SK:
					t.Errorf("%s %s: entries out of order at %v", ix, part, it.Key)
				case slices.Contains(keys, it.Key):
					t.Errorf("%s %s: %v listed twice", ix, part, it.Key)
				}
				keys = append(keys, it.Key)
			}
			entries += len(keys)
			s.index[fmt.Sprintf("%s %s", ix, part)] = keys
		}
	}
	if entries != wantEntries {
		t.Errorf("the indexes hold %d entries, the items have %d index keys", entries, wantEntries)
	}
	return s
}

func indexKeyOf(it store.Item, ix store.Index) store.Key {
	switch ix {
	case store.Due:
		return it.GSI1
	case store.Customer:
		return it.GSI2
	case store.Listing:
		return it.GSI3
	}
	return it.Key
}

func diffItems(got, want map[store.Key]store.Item) string {
	var d []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			d = append(d, fmt.Sprintf("missing %v (version %d)", k, w.Version))
		} else if !sameItem(g, w) {
			d = append(d, fmt.Sprintf("%v is version %d (%s), want version %d (%s)", k, g.Version, crashHash(g), w.Version, crashHash(w)))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			d = append(d, fmt.Sprintf("unexpected %v (version %d)", k, g.Version))
		}
	}
	slices.Sort(d)
	return strings.Join(d, "\n")
}

// journalModel reads data the way replay must, with its own reading of the
// framing: the items the intact records at its start leave, and the offset
// where they end.
func journalModel(t *testing.T, data []byte) (map[store.Key]store.Item, int64) {
	t.Helper()
	castagnoli := crc32.MakeTable(crc32.Castagnoli)
	values := map[string][]byte{}
	off := 0
	for len(data)-off >= 8 {
		n := int(binary.LittleEndian.Uint32(data[off:]))
		if n == 0 || n > maxRecord || n > len(data)-off-8 {
			break
		}
		payload := data[off+8 : off+8+n]
		if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(data[off+4:]) {
			break
		}
		k, v, err := parseRecord(payload)
		if err != nil {
			t.Fatalf("intact record at byte %d: %v", off, err)
		}
		if v == nil {
			delete(values, k)
		} else {
			values[k] = v
		}
		off += 8 + n
	}
	items := map[store.Key]store.Item{}
	for k, v := range values {
		key, _ := splitItemKey(k)
		it, err := decodeItem(key, v)
		if err != nil {
			t.Fatal(err)
		}
		items[key] = it
	}
	return items, int64(off)
}

func closeTable(t *testing.T, tbl *Table) {
	t.Helper()
	if err := tbl.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
