//go:build unix

package embedded

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"github.com/cxloop/cxloop/shared/core/store"
)

// The crash tests run a writer process, stop it at a random moment (a
// SIGKILL, or a write or sync of Pebble's log that fails, which ends the
// process), and check what the store kept. The writer is this test binary
// run again with only TestCrashChild selected and the environment below
// set. TestPowerCutLosesNoAcknowledgedWrite runs the same writers in this
// process, on a file system in memory that can forget what was not synced.
const (
	crashDirEnv   = "CXLOOP_EMBEDDED_CRASH_DIR" // the data directory; set only in the writer
	crashRoundEnv = "CXLOOP_EMBEDDED_CRASH_ROUND"
	crashSeedEnv  = "CXLOOP_EMBEDDED_CRASH_SEED" // the writer's seed; in the parent, one to reproduce a run with
	// crashFailEnv, when set, is "<op> <n>": the writer's n-th write or
	// sync (op) of Pebble's log fails.
	crashFailEnv = "CXLOOP_EMBEDDED_CRASH_FAIL"

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

// crashWriter is the writers' shared state. Its workers create, overwrite
// (version-checked, so they conflict) and delete items of a few shared
// keys, and report each write once it returned nil with a line to ack:
//
//	put <sort key> <life> <version> <hash>
//	intent-del <sort key> <life>   (reported before the Delete is sent)
//	del <sort key> <life>
//
// A life is one item from its create to its delete. Creates and deletes of
// a key take turns, so lives are numbered in the order they begin, and the
// checks can order every write to a key by (life, version).
type crashWriter struct {
	tbl       *Table
	ack       func(format string, args ...any)
	lives     atomic.Int64
	lifecycle [crashKeys]sync.RWMutex // creates and deletes of a key take turns
}

func newCrashWriter(tbl *Table, round int64, ack func(format string, args ...any)) *crashWriter {
	w := &crashWriter{tbl: tbl, ack: ack}
	w.lives.Store(round * 1_000_000) // above every life of earlier rounds
	return w
}

// step makes one write of a random key. Creates and deletes of a key hold
// its lifecycle lock, overwrites share it: versions start again at 1 after
// a delete, so an overwrite whose read came before a delete and a create
// would otherwise pass its version check and write the old life's data
// over the new one (ABA), which is how the store is meant to behave but
// not what the checks expect.
func (w *crashWriter) step(ctx context.Context, rng *rand.Rand, by string) error {
	tbl := w.tbl
	i := rng.IntN(crashKeys)
	sk := fmt.Sprintf("k%02d", i)
	key := store.Key{PK: "crash", SK: sk}
	_, err := tbl.Get(ctx, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		w.lifecycle[i].Lock()
		defer w.lifecycle[i].Unlock()
		if _, err := tbl.Get(ctx, key); !errors.Is(err, store.ErrNotFound) {
			return err // nil: created meanwhile
		}
		life := w.lives.Add(1)
		it, err := tbl.Put(ctx, crashItem(rng, sk, life, by), store.IfAbsent())
		if err != nil {
			return err // not even a conflict: no one else creates the key now
		}
		w.ack("put %s %d %d %s", sk, life, it.Version, crashHash(it))
	case err != nil:
		return err
	case rng.IntN(8) == 0:
		w.lifecycle[i].Lock()
		defer w.lifecycle[i].Unlock()
		cur, err := tbl.Get(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return nil // deleted meanwhile
		}
		if err != nil {
			return err
		}
		life := crashLife(cur)
		w.ack("intent-del %s %d", sk, life)
		if err := tbl.Delete(ctx, key); err != nil {
			return err
		}
		w.ack("del %s %d", sk, life)
	default:
		w.lifecycle[i].RLock()
		defer w.lifecycle[i].RUnlock()
		cur, err := tbl.Get(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return nil // deleted meanwhile
		}
		if err != nil {
			return err
		}
		life := crashLife(cur)
		it, err := tbl.Put(ctx, crashItem(rng, sk, life, by), store.IfVersion(cur.Version))
		if errors.Is(err, store.ErrConflict) {
			return nil
		}
		if err != nil {
			return err
		}
		w.ack("put %s %d %d %s", sk, life, it.Version, crashHash(it))
	}
	return nil
}

// run runs the workers until stop says so, or one fails.
func (w *crashWriter) run(t *testing.T, seed uint64, stop func() bool) {
	var wg sync.WaitGroup
	for n := range crashWorkers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(n)))
			for !stop() {
				if err := w.step(context.Background(), rng, fmt.Sprintf("w%d", n)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestCrashChild is the writer process of the crash tests.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
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
	fs := vfs.Default
	if f := os.Getenv(crashFailEnv); f != "" {
		fs = errorfs.Wrap(fs, failNth(t, f))
	}
	tbl, err := open(dir, fs)
	if err != nil {
		t.Fatal(err)
	}
	// Never closed: the parent kills this process while it writes, or a
	// failing log ends it.

	var out sync.Mutex
	// ack prints one line with one write, so once it returns, the line is
	// in the pipe and reaches the parent whenever this process dies.
	ack := func(format string, args ...any) {
		out.Lock()
		defer out.Unlock()
		if _, err := os.Stdout.WriteString(fmt.Sprintf("ack "+format+"\n", args...)); err != nil {
			panic(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second) // should the parent be gone
	newCrashWriter(tbl, round, ack).run(t, seed, func() bool { return time.Now().After(deadline) })
}

// failNth reads crashFailEnv's "<op> <n>" and returns an injector that
// fails the n-th such operation on Pebble's log files, and every one after.
func failNth(t *testing.T, spec string) errorfs.Injector {
	var op string
	var n int64
	if _, err := fmt.Sscanf(spec, "%s %d", &op, &n); err != nil {
		t.Fatalf("%s=%q: %v", crashFailEnv, spec, err)
	}
	var kinds []errorfs.OpKind
	switch op {
	case "sync":
		kinds = []errorfs.OpKind{errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo}
	case "write":
		kinds = []errorfs.OpKind{errorfs.OpFileWrite, errorfs.OpFileWriteAt}
	default:
		t.Fatalf("%s=%q: unknown op", crashFailEnv, spec)
	}
	var seen atomic.Int64
	return errorfs.InjectorFunc(func(o errorfs.Op) error {
		if !strings.HasSuffix(o.Path, ".log") || !slices.Contains(kinds, o.Kind) {
			return nil
		}
		if seen.Add(1) >= n {
			return errorfs.ErrInjected
		}
		return nil
	})
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
// reopens the store it leaves each time: every acknowledged write must be
// there (or a later write of the same key, acknowledged or not), no deleted
// item may come back, the indexes must agree with the items, and the table
// must take writes and reopen cleanly after.
func TestCrashLosesNoAcknowledgedWrite(t *testing.T) {
	t.Parallel()
	runCrashRounds(t, "")
}

// TestFailedLogSyncLosesNoAcknowledgedWrite makes a sync of Pebble's log
// fail at a random one: the writer process must stop (a write whose sync
// failed is never acknowledged, and after a failed sync the file's pages
// cannot be trusted), and the store it leaves must hold what was
// acknowledged, as after a kill.
func TestFailedLogSyncLosesNoAcknowledgedWrite(t *testing.T) {
	t.Parallel()
	runCrashRounds(t, "sync")
}

// TestFailedLogWriteLosesNoAcknowledgedWrite is the same with a failed
// write (a full disk, an I/O error).
func TestFailedLogWriteLosesNoAcknowledgedWrite(t *testing.T) {
	t.Parallel()
	runCrashRounds(t, "write")
}

func crashSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(crashSeedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s: %v", crashSeedEnv, err)
		}
	}
	t.Logf("seed %d (%s=%d to rerun with it; the writers' timing still varies)", seed, crashSeedEnv, seed)
	return seed
}

// runCrashRounds stops the writer process by a kill (fail empty) or by
// failing its log's op, and checks the store it leaves, round after round.
func runCrashRounds(t *testing.T, fail string) {
	rng := rand.New(rand.NewPCG(crashSeed(t), 0))
	dir := t.TempDir()
	h := newCrashHistory()
	for round := 1; round <= crashRounds; round++ {
		killAfter := time.Duration(rng.Int64N(int64(crashMaxWrite)))
		var failAt string
		if fail != "" {
			failAt = fmt.Sprintf("%s %d", fail, 5+rng.IntN(300))
		}
		acks := runCrashChild(t, dir, round, rng.Uint64(), killAfter, failAt)
		h.record(t, acks)
		if fail == "" {
			t.Logf("round %d: killed the writer %v after its first write, %d lines acknowledged", round, killAfter, len(acks))
		} else {
			t.Logf("round %d: the writer stopped at its log's failed %s, %d lines acknowledged", round, failAt, len(acks))
		}
		tbl, err := Open(dir)
		if err != nil {
			t.Fatalf("round %d: Open after the crash: %v", round, err)
		}
		checkAfterCrash(t, round, h, tbl, func() (*Table, error) { return Open(dir) })
	}
}

// checkAfterCrash checks the table opened after a crash against what is
// known, then writes to it and checks that a clean close and reopen (by
// reopen) keeps everything. It closes the table.
func checkAfterCrash(t *testing.T, round int, h *crashHistory, tbl *Table, reopen func() (*Table, error)) {
	t.Helper()
	ctx := context.Background()
	snap := takeSnapshot(t, tbl)
	h.check(t, round, snap.crashItems())
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
	tbl, err := reopen()
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
	h.observe(after.crashItems())
}

// TestPowerCutLosesNoAcknowledgedWrite runs the writers on a file system
// in memory and cuts the power at a random moment while they write: the
// disk then keeps everything synced and a random share (0 to 100 %) of
// what was not, block by block and directory entry by directory entry.
// Every write acknowledged before the cut must be there after reopening
// the disk as the cut left it, with indexes that agree, and the table must
// take writes and reopen cleanly after.
func TestPowerCutLosesNoAcknowledgedWrite(t *testing.T) {
	t.Parallel()
	seed := crashSeed(t)
	rng := rand.New(rand.NewPCG(seed, 1))
	dir := t.TempDir()
	disk := vfs.NewCrashableMem()
	if err := disk.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) { // the data directory itself is durable
		if err := syncDir(disk, d); err != nil {
			t.Fatal(err)
		}
		if d == filepath.Dir(d) {
			break
		}
	}
	h := newCrashHistory()
	for round := 1; round <= crashRounds; round++ {
		tbl, err := open(dir, disk)
		if err != nil {
			t.Fatalf("round %d: Open: %v", round, err)
		}
		var (
			mu    sync.Mutex
			lines []string
			stop  atomic.Bool
		)
		ack := func(format string, args ...any) {
			mu.Lock()
			lines = append(lines, fmt.Sprintf(format, args...))
			mu.Unlock()
		}
		w := newCrashWriter(tbl, int64(round), ack)
		done, writerSeed := make(chan struct{}), rng.Uint64()
		go func() {
			defer close(done)
			w.run(t, writerSeed, stop.Load)
		}()
		cutAfter := 1 + rng.IntN(400) // acknowledged lines
		for deadline := time.Now().Add(30 * time.Second); ; {
			mu.Lock()
			n := len(lines)
			mu.Unlock()
			if n >= cutAfter {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: only %d writes in 30 s", round, n)
			}
			time.Sleep(time.Millisecond)
		}
		// Everything acknowledged before the cut was synced before it; what
		// is acknowledged while the disk is copied may be on it or not, as
		// may the deletes begun before the copy ended.
		mu.Lock()
		acked := len(lines)
		mu.Unlock()
		percent := rng.IntN(101)
		cut := disk.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: percent, RNG: rand.New(rand.NewPCG(rng.Uint64(), 0))})
		mu.Lock()
		all := slices.Clone(lines)
		mu.Unlock()
		stop.Store(true)
		<-done
		closeTable(t, tbl)
		h.record(t, all[:acked])
		// A delete of a key's last known life begun after that (or even
		// acknowledged) may have landed, and so may the creates after it.
		for _, line := range all[acked:] {
			if strings.HasPrefix(line, "intent-del ") || strings.HasPrefix(line, "del ") {
				f := strings.Fields(line)
				life, _ := strconv.ParseInt(f[2], 10, 64)
				if e, ok := h.last[f[1]]; ok && !e.del && e.life == life {
					h.intents[f[1]] = life
				}
			}
		}
		t.Logf("round %d: cut the power after %d acknowledged lines, keeping %d%% of what was not synced", round, acked, percent)

		disk = cut
		tbl, err = open(dir, disk)
		if err != nil {
			t.Fatalf("round %d: Open after the power cut: %v", round, err)
		}
		checkAfterCrash(t, round, h, tbl, func() (*Table, error) { return open(dir, disk) })
	}
}

// runCrashChild starts the writer on dir and SIGKILLs it killAfter its
// first acknowledged write, or, when fail is set, has its log fail as fail
// says and waits for it to stop; it returns the lines the writer
// acknowledged (without "ack ").
func runCrashChild(t *testing.T, dir string, round int, seed uint64, killAfter time.Duration, fail string) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1", "-test.timeout=1m")
	cmd.Env = append(os.Environ(),
		crashDirEnv+"="+dir,
		crashFailEnv+"="+fail,
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
			if len(acks) == 0 && fail == "" {
				timer.Reset(killAfter)
			}
			acks = append(acks, line)
		} else {
			other = append(other, sc.Text())
		}
	}
	// End of output: the writer is dead.
	if fail != "" {
		// It must stop by itself, at the failure: the store ends the
		// process rather than go on with a log it cannot trust.
		if !timer.Stop() {
			<-killed
			_ = cmd.Wait()
			t.Fatalf("round %d: the writer did not stop after its log's %s failed\nstderr: %s", round, fail, stderr.Bytes())
		}
		// Pebble stops through the store's Fatalf (exit status 1) or, where
		// it meets a log that failed before (the next write to it, closing
		// it to start the next), by panicking — which may also come while
		// Fatalf is on its way out, after its line was logged.
		err := cmd.Wait()
		var exit *exec.ExitError
		stopped := errors.As(err, &exit) &&
			(exit.ExitCode() == 1 && bytes.Contains(stderr.Bytes(), []byte("embedded store failed; stopping")) ||
				exit.ExitCode() == 2 && bytes.Contains(stderr.Bytes(), []byte("panic: ")) && bytes.Contains(stderr.Bytes(), []byte("cockroachdb/pebble")))
		if !stopped {
			t.Fatalf("round %d: the writer ended with %v after its log's %s failed, want it stopped by the store\nstderr: %s", round, err, fail, stderr.Bytes())
		}
		if sc.Err() != nil || bytes.Contains(stderr.Bytes(), []byte("DATA RACE")) {
			t.Fatalf("round %d: read error %v\nstdout: %q\nstderr: %s", round, sc.Err(), other, stderr.Bytes())
		}
		return acks
	}
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

func closeTable(t *testing.T, tbl *Table) {
	t.Helper()
	if err := tbl.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
