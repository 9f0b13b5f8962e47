package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestREADMETour runs the README's five-minute tour as written, in bash,
// against what `make dev` starts: `cxloop dev --data .cxloop --demo` in a
// fresh folder, with the key it generates there (no CXLOOP_API_KEY). Only
// the address differs: a free loopback port, not 8080. Then it checks the
// tour did what its comments say: Noor's answer made María a follow-up
// that she closed, with a note to Noor signed by her.
func TestREADMETour(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("the tour needs curl")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	tour := tourBlock(t, string(readme))

	bin := buildCLI(ctx, t)
	dir := t.TempDir()
	dev := exec.Command(bin, "dev", "--addr", "127.0.0.1:0", "--data", ".cxloop", "--demo")
	dev.Dir = dir
	dev.Env = withoutEnv(os.Environ(), "CXLOOP_API_KEY")
	base := startDevProcess(ctx, t, dev, filepath.Join(dir, "dev.log"))

	script := strings.ReplaceAll(tour, "http://127.0.0.1:8080", base)
	run := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	run.Dir = dir
	run.Env = withoutEnv(os.Environ(), "CXLOOP_API_KEY")
	var out, stderr bytes.Buffer
	run.Stdout, run.Stderr = &out, &stderr
	if err := run.Run(); err != nil {
		t.Fatalf("the tour failed: %v\nstderr:\n%s\nstdout:\n%s", err, stderr.Bytes(), out.Bytes())
	}
	for _, want := range []string{`"status":"scheduled"`, `"comment":"The parcel came a week late"`, "Noor Haddad", `"reply_to":"maria@example.com"`, `"closed":1`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the tour's output lacks %s:\n%s", want, out.Bytes())
		}
	}

	key, err := os.ReadFile(filepath.Join(dir, ".cxloop", "api.key"))
	if err != nil {
		t.Fatal(err)
	}
	var tasks struct {
		Tasks []struct {
			Status  string `json:"status"`
			Outcome string `json:"outcome"`
			Owner   struct {
				ID string `json:"id"`
			} `json:"owner"`
			Escalation int `json:"escalation_level"`
		} `json:"tasks"`
	}
	getJSON(ctx, t, base+"/v1/tasks?status=done", strings.TrimSpace(string(key)), &tasks)
	if len(tasks.Tasks) != 1 || tasks.Tasks[0].Owner.ID != "maria" || tasks.Tasks[0].Outcome != "resolved" || tasks.Tasks[0].Escalation != 1 {
		t.Errorf("done tasks after the tour = %+v, want María's, resolved after one escalation", tasks.Tasks)
	}
	var notes []struct {
		Subject  string `json:"subject"`
		BodyText string `json:"body_text"`
	}
	getJSON(ctx, t, base+"/dev/outbox?to=noor@acme.example", "", &notes)
	if len(notes) != 2 || !strings.Contains(notes[1].BodyText, "María García") || !strings.Contains(notes[1].BodyText, "your next order ships free") {
		t.Errorf("Noor's messages = %+v, want her survey, then María's note signed by her", notes)
	}
}

// tourBlock is the first sh block after the tour's heading.
func tourBlock(t *testing.T, readme string) string {
	t.Helper()
	_, after, ok := strings.Cut(readme, "## A five-minute tour of the local system")
	if !ok {
		t.Fatal("README.md has no tour")
	}
	_, after, ok = strings.Cut(after, "```sh\n")
	if !ok {
		t.Fatal("the tour has no sh block")
	}
	block, _, ok := strings.Cut(after, "```")
	if !ok {
		t.Fatal("the tour's sh block does not end")
	}
	return block
}

func withoutEnv(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

func getJSON(ctx context.Context, t *testing.T, url, key string, v any) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}
